"""The two channels: SMS through SNS and e-mail through SES v2, the message attributes and
charsets they send, how they sort the providers' errors (permanent: recorded as failed; the
rest: retried), and the rate limiter that keeps them under the account's quotas."""

from __future__ import annotations

import threading
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import ANY, Stubber
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from ioc_alerts.adapters import channels
from ioc_alerts.adapters.channels import (
    EmailChannel,
    OptedOut,
    PermanentDeliveryError,
    RateLimiter,
    SmsChannel,
)
from ioc_alerts.render import Email

REGION = "ap-southeast-1"
PHONE = "+84900010043"
TEXT = "Đã quá 4 ngày Sở TTTT chưa đăng tin bài trên Cổng thông tin điện tử của Tỉnh"
ADDRESS = "lanhdao1.stttt@example.gov.vn"
SENDER = "canhbao@example.gov.vn"
EMAIL = Email(
    subject=f"[Cảnh báo IOC] {TEXT}",
    text=f"Kính gửi Giám đốc,\n\n{TEXT}.\n",
    html=f"<p>Kính gửi Giám đốc,</p><p>{TEXT}.</p>",
)
TRANSACTIONAL = {"DataType": "String", "StringValue": "Transactional"}
NO_LIMIT = RateLimiter(0)


class FakeSns:
    """Records the calls an SmsChannel makes; `opted_out` numbers are on the opt-out list."""

    def __init__(self, opted_out: tuple[str, ...] = ()) -> None:
        self.opted_out = opted_out
        self.checked: list[str] = []
        self.published: list[dict[str, Any]] = []

    def check_if_phone_number_is_opted_out(self, *, phoneNumber: str) -> dict[str, Any]:
        self.checked.append(phoneNumber)
        return {"isOptedOut": phoneNumber in self.opted_out}

    def publish(self, **kwargs: Any) -> dict[str, Any]:
        self.published.append(kwargs)
        return {"MessageId": f"sns-{len(self.published)}"}


def client_error(code: str, operation: str, status: int = 400) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": "refused"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        operation,
    )


# --- SMS: message attributes ---------------------------------------------------------------


def test_an_sms_is_transactional_and_carries_nothing_unconfigured() -> None:
    # Given a channel with no sender ID and no price cap (the SNS sandbox set-up)
    sns = FakeSns()
    channel = SmsChannel(sns, rate=NO_LIMIT)
    # When an alert is sent
    message_id = channel.send(PHONE, TEXT)
    # Then it is published to the number, verbatim, as a transactional SMS and nothing else
    assert message_id == "sns-1"
    assert sns.checked == [PHONE]
    (call,) = sns.published
    assert call == {
        "PhoneNumber": PHONE,
        "Message": TEXT,
        "MessageAttributes": {"AWS.SNS.SMS.SMSType": TRANSACTIONAL},
    }


@pytest.mark.parametrize(
    ("sender_id", "max_price", "expected"),
    [
        ("IOCSOCTRANG", "", {"AWS.SNS.SMS.SenderID"}),
        ("", "0.10", {"AWS.SNS.SMS.MaxPrice"}),
        ("IOCSOCTRANG", "0.10", {"AWS.SNS.SMS.SenderID", "AWS.SNS.SMS.MaxPrice"}),
    ],
)
def test_sender_id_and_max_price_are_sent_only_when_configured(
    sender_id: str, max_price: str, expected: set[str]
) -> None:
    sns = FakeSns()
    SmsChannel(sns, sender_id=sender_id, max_price=max_price, rate=NO_LIMIT).send(PHONE, TEXT)
    attributes = sns.published[0]["MessageAttributes"]
    assert set(attributes) == {"AWS.SNS.SMS.SMSType"} | expected
    assert attributes["AWS.SNS.SMS.SMSType"] == TRANSACTIONAL
    if sender_id:
        assert attributes["AWS.SNS.SMS.SenderID"] == {
            "DataType": "String",
            "StringValue": sender_id,
        }
    if max_price:
        assert attributes["AWS.SNS.SMS.MaxPrice"] == {
            "DataType": "Number",
            "StringValue": max_price,
        }


def test_the_sms_request_is_valid_for_the_sns_api(session: boto3.Session) -> None:
    # Given a real SNS client whose answers are stubbed (Stubber checks every request
    # against the service model, as the SDK would before sending it)
    sns = session.client("sns")
    channel = SmsChannel(sns, sender_id="IOCSOCTRANG", max_price="0.10", rate=NO_LIMIT)
    with Stubber(sns) as stub:
        stub.add_response(
            "check_if_phone_number_is_opted_out", {"isOptedOut": False}, {"phoneNumber": PHONE}
        )
        stub.add_response(
            "publish",
            {"MessageId": "m-1"},
            {
                "PhoneNumber": PHONE,
                "Message": TEXT,
                "MessageAttributes": {
                    "AWS.SNS.SMS.SMSType": TRANSACTIONAL,
                    "AWS.SNS.SMS.SenderID": {"DataType": "String", "StringValue": "IOCSOCTRANG"},
                    "AWS.SNS.SMS.MaxPrice": {"DataType": "Number", "StringValue": "0.10"},
                },
            },
        )
        # When the alert is sent
        message_id = channel.send(PHONE, TEXT)
        # Then both calls were made as expected, in order
        stub.assert_no_pending_responses()
    assert message_id == "m-1"


def test_an_opted_out_number_is_never_published_to() -> None:
    sns = FakeSns(opted_out=(PHONE,))
    with pytest.raises(OptedOut):
        SmsChannel(sns, rate=NO_LIMIT).send(PHONE, TEXT)
    assert sns.published == []


# --- SMS: errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code", ["InvalidParameter", "InvalidParameterValue", "ParameterValueInvalid"]
)
def test_sns_refusing_the_number_is_permanent_and_names_the_code(
    code: str, session: boto3.Session
) -> None:
    sns = session.client("sns")
    with Stubber(sns) as stub:
        stub.add_response("check_if_phone_number_is_opted_out", {"isOptedOut": False})
        stub.add_client_error("publish", code, "Invalid parameter: PhoneNumber")
        with pytest.raises(PermanentDeliveryError) as error:
            SmsChannel(sns, rate=NO_LIMIT).send(PHONE, TEXT)
    assert str(error.value) == f"SNS refused the SMS: {code}"
    # The number itself stays out of the reason (it is recorded and may be logged)
    assert PHONE not in str(error.value)


@pytest.mark.parametrize(
    ("code", "status"),
    [("Throttling", 400), ("Throttled", 429), ("InternalError", 500), ("KMSThrottling", 400)],
)
def test_other_sns_errors_propagate_to_be_retried(
    code: str, status: int, session: boto3.Session
) -> None:
    sns = session.client("sns")
    with Stubber(sns) as stub:
        stub.add_response("check_if_phone_number_is_opted_out", {"isOptedOut": False})
        stub.add_client_error("publish", code, "try later", http_status_code=status)
        with pytest.raises(ClientError) as error:
            SmsChannel(sns, rate=NO_LIMIT).send(PHONE, TEXT)
    assert error.value.response["Error"]["Code"] == code


def test_a_failing_opt_out_check_is_sorted_like_a_failing_publish(session: boto3.Session) -> None:
    sns = session.client("sns")
    with Stubber(sns) as stub:
        stub.add_client_error("check_if_phone_number_is_opted_out", "InvalidParameter")
        with pytest.raises(PermanentDeliveryError):
            SmsChannel(sns, rate=NO_LIMIT).send("0900010043", TEXT)


# --- SMS through moto's SNS ----------------------------------------------------------------


def test_moto_sns_receives_the_sms_and_keeps_opted_out_and_invalid_numbers_out(
    session: boto3.Session,
) -> None:
    channel = SmsChannel(session.client("sns"), rate=NO_LIMIT)
    # When an alert goes to a valid number, an opted-out one (moto: ending in 99) and a
    # number in national format (not E.164)
    channel.send(PHONE, TEXT)
    with pytest.raises(OptedOut):
        channel.send("+84900010099", TEXT)
    with pytest.raises(PermanentDeliveryError, match="InvalidParameter"):
        channel.send("0900010043", TEXT)
    # Then SNS holds exactly the one SMS, verbatim
    sent = list(sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages.values())
    assert sent == [(PHONE, TEXT)]


# --- e-mail --------------------------------------------------------------------------------


class FakeSes:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send_email(self, **kwargs: Any) -> dict[str, Any]:
        self.sent.append(kwargs)
        return {"MessageId": f"ses-{len(self.sent)}"}


def test_an_email_is_sent_in_utf8_to_one_address_with_the_configuration_set() -> None:
    ses = FakeSes()
    channel = EmailChannel(
        ses, from_address=SENDER, configuration_set="ioc-alerts-unit", rate=NO_LIMIT
    )
    message_id = channel.send(ADDRESS, EMAIL, {"rule": "portal_stale"})
    assert message_id == "ses-1"
    (request,) = ses.sent
    assert request["FromEmailAddress"] == SENDER
    assert request["Destination"] == {"ToAddresses": [ADDRESS]}
    simple = request["Content"]["Simple"]
    assert simple["Subject"] == {"Data": EMAIL.subject, "Charset": "UTF-8"}
    assert simple["Body"]["Text"] == {"Data": EMAIL.text, "Charset": "UTF-8"}
    assert simple["Body"]["Html"] == {"Data": EMAIL.html, "Charset": "UTF-8"}
    assert request["ConfigurationSetName"] == "ioc-alerts-unit"
    assert request["EmailTags"] == [{"Name": "rule", "Value": "portal_stale"}]


def test_without_a_configuration_set_none_is_named() -> None:
    ses = FakeSes()
    EmailChannel(ses, from_address=SENDER, configuration_set="", rate=NO_LIMIT).send(
        ADDRESS, EMAIL, {}
    )
    assert "ConfigurationSetName" not in ses.sent[0]


def test_the_email_request_is_valid_for_the_ses_v2_api(session: boto3.Session) -> None:
    ses = session.client("sesv2")
    channel = EmailChannel(ses, from_address=SENDER, configuration_set="c", rate=NO_LIMIT)
    with Stubber(ses) as stub:
        expected = {
            "FromEmailAddress": SENDER,
            "Destination": {"ToAddresses": [ADDRESS]},
            "Content": ANY,  # checked against the model, and field by field above
            "EmailTags": [{"Name": "rule", "Value": "dossiers_overdue"}],
            "ConfigurationSetName": "c",
        }
        stub.add_response("send_email", {"MessageId": "e-1"}, expected)
        assert channel.send(ADDRESS, EMAIL, {"rule": "dossiers_overdue"}) == "e-1"
        stub.assert_no_pending_responses()


@pytest.mark.parametrize("code", ["MessageRejected", "BadRequestException"])
def test_ses_rejecting_the_email_is_permanent(code: str, session: boto3.Session) -> None:
    ses = session.client("sesv2")
    with Stubber(ses) as stub:
        stub.add_client_error("send_email", code, "Email address is not verified.")
        with pytest.raises(PermanentDeliveryError) as error:
            EmailChannel(ses, from_address=SENDER, configuration_set="", rate=NO_LIMIT).send(
                ADDRESS, EMAIL, {}
            )
    assert str(error.value) == f"SES refused the e-mail: {code}"


@pytest.mark.parametrize("code", ["TooManyRequestsException", "InternalFailure"])
def test_other_ses_errors_propagate_to_be_retried(code: str, session: boto3.Session) -> None:
    ses = session.client("sesv2")
    with Stubber(ses) as stub:
        stub.add_client_error("send_email", code, http_status_code=429)
        with pytest.raises(ClientError):
            EmailChannel(ses, from_address=SENDER, configuration_set="", rate=NO_LIMIT).send(
                ADDRESS, EMAIL, {}
            )


def test_moto_ses_v2_keeps_the_vietnamese_subject_intact(session: boto3.Session) -> None:
    # Given the sender's domain is a verified identity
    ses = session.client("sesv2")
    ses.create_email_identity(EmailIdentity="example.gov.vn")
    channel = EmailChannel(ses, from_address=SENDER, configuration_set="", rate=NO_LIMIT)
    # When the alert is sent
    channel.send(ADDRESS, EMAIL, {"rule": "portal_stale"})
    # Then SES holds it, with the subject exactly as rendered and the HTML body
    (sent,) = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
    assert sent.subject == "[Cảnh báo IOC] " + TEXT
    assert sent.destinations == {"ToAddresses": [ADDRESS]}
    assert sent.body == EMAIL.html


def test_moto_ses_v2_refuses_an_unverified_sender_for_good(session: boto3.Session) -> None:
    ses = session.client("sesv2")
    channel = EmailChannel(ses, from_address=SENDER, configuration_set="", rate=NO_LIMIT)
    with pytest.raises(PermanentDeliveryError, match="MessageRejected"):
        channel.send(ADDRESS, EMAIL, {})


# --- rate ----------------------------------------------------------------------------------


class FakeTime:
    """A clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(round(seconds, 6))


def test_the_rate_limiter_spaces_calls_by_the_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a limit of 10 per second and five calls at the same instant
    clock = FakeTime()
    monkeypatch.setattr(channels, "time", clock)
    limiter = RateLimiter(10)
    # When each waits for its slot
    for _ in range(5):
        limiter.wait()
    # Then the first goes at once and each next one 0.1 s after the previous
    assert clock.sleeps == [0.1, 0.2, 0.3, 0.4]


def test_the_rate_limiter_gives_each_thread_its_own_slot(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeTime()
    monkeypatch.setattr(channels, "time", clock)
    limiter = RateLimiter(5)
    threads = [threading.Thread(target=limiter.wait) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(clock.sleeps) == [0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4]


def test_a_rate_of_zero_never_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeTime()
    monkeypatch.setattr(channels, "time", clock)
    limiter = RateLimiter(0)
    for _ in range(100):
        limiter.wait()
    assert clock.sleeps == []
