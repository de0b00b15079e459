"""The send function, in-process against moto: an SQS batch of notifications in, SMS
through SNS and e-mail through SES v2 out, one delivery record each, and a partial batch
response that asks SQS to redeliver only what may still succeed.

The handler is the real one (functions/send_alert/app.py), run with the environment
template.yaml gives it; the service clock is pinned to Monday 6 November 2023, 08:00.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import DynamoDBBackend
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from ioc_alerts import send_entry
from ioc_alerts.adapters.channels import EmailChannel, RateLimiter, SmsChannel
from ioc_alerts.adapters.delivery_store import Claim, DeliveryStore
from ioc_alerts.adapters.directory_table import DirectoryTable, item_of
from ioc_alerts.adapters.models import (
    TABLE_MODELS,
    ContactAttribute,
    DeliveryItem,
    UnitItem,
    bind_tables,
)
from ioc_alerts.config import RulesConfig
from ioc_alerts.directory import Contact, Directory
from ioc_alerts.local.invoke import invoke
from ioc_alerts.local.provision import Stack, environment, provision
from ioc_alerts.messages import NotificationMessage
from ioc_alerts.notifications import plan
from ioc_alerts.observability import logger
from ioc_alerts.rules import Breach
from ioc_alerts.send_entry import SendServices
from ioc_alerts.sending import Outcome
from tests.send_data import (
    HOSTILE,
    PORTAL_TEXT,
    STTTT_EMAILS,
    STTTT_PHONES,
    overdue_breach,
    portal_breach,
)

REGION = "ap-southeast-1"
QUEUE_ARN = f"arn:aws:sqs:{REGION}:{DEFAULT_ACCOUNT_ID}:ioc-alerts-notifications-unit"
NOW = datetime(2023, 11, 6, 1, 0, tzinfo=UTC)  # 08:00 in Vietnam


# --- data ----------------------------------------------------------------------------------


def notifications(
    breach: Breach, directory: Directory, rules: RulesConfig, channel: str | None = None
) -> list[NotificationMessage]:
    """The queue messages the check function would send for the breach."""
    planned = plan(breach, directory, rules).notifications
    return [NotificationMessage.of(n) for n in planned if channel in (None, n.channel)]


def sqs_record(body: NotificationMessage | str, receive_count: int = 1) -> dict[str, Any]:
    """One record as Lambda's SQS poller hands it over. A message keeps its id across
    deliveries; only the receive count (and the receipt handle) change."""
    text = body if isinstance(body, str) else body.body()
    return {
        "messageId": str(uuid.uuid5(uuid.NAMESPACE_URL, text)),
        "receiptHandle": f"handle-{receive_count}-{uuid.uuid4()}",
        "body": text,
        "attributes": {
            "ApproximateReceiveCount": str(receive_count),
            "SentTimestamp": "1699232400000",
            "SenderId": "AROAEXAMPLE:ioc-alerts-check-portals-unit",
            "ApproximateFirstReceiveTimestamp": "1699232400100",
        },
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(text.encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": QUEUE_ARN,
        "awsRegion": REGION,
    }


def sqs_event(*bodies: NotificationMessage | str, receive_count: int = 1) -> dict[str, Any]:
    return {"Records": [sqs_record(body, receive_count) for body in bodies]}


def message_id(body: NotificationMessage | str) -> str:
    return str(sqs_record(body)["messageId"])


def send(event: dict[str, Any]) -> list[str]:
    """Run the send function; the message ids it asks SQS to deliver again."""
    response = invoke("send_alert", event, 30)
    return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]


def sms_sent() -> list[tuple[str, str]]:
    return list(sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages.values())


def emails_sent() -> list[Any]:
    return list(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)


def record(message: NotificationMessage) -> DeliveryItem:
    return DeliveryItem.get(message.notification_id, consistent_read=True)


def put_unit(
    code: str,
    name: str,
    level: str,
    parent: str | None,
    contacts: list[Contact],
    short_name: str | None = None,
) -> None:
    """Write a unit straight into the directory table, past the loaders' checks (as a hand
    edit in the console would)."""
    UnitItem(
        code,
        name=name,
        short_name=short_name,
        level=level,
        parent=parent,
        contacts=[
            ContactAttribute(
                contact_id=c.contact_id, name=c.name, title=c.title, phone=c.phone, email=c.email
            )
            for c in contacts
        ],
        updated_at=NOW,
    ).save()


def client_error(code: str, operation: str = "Publish", status: int = 400) -> ClientError:
    error = {"Code": code, "Message": "Rate exceeded" if "Thrott" in code else code}
    return ClientError({"Error": error, "ResponseMetadata": {"HTTPStatusCode": status}}, operation)


class FlakySns:
    """The real (moto) SNS client, except that publishing to `phone` fails `times` times
    (-1: always) with `error`."""

    def __init__(self, sns: Any, phone: str, error: ClientError, times: int = -1) -> None:
        self._sns = sns
        self.phone = phone
        self.error = error
        self.times = times

    def check_if_phone_number_is_opted_out(self, **kwargs: Any) -> Any:
        return self._sns.check_if_phone_number_is_opted_out(**kwargs)

    def publish(self, **kwargs: Any) -> Any:
        if kwargs["PhoneNumber"] == self.phone and self.times != 0:
            self.times -= 1
            raise self.error
        return self._sns.publish(**kwargs)


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture
def tables(session: boto3.Session, template: dict[str, Any]) -> Stack:
    """The template's tables (and queues). Unlike the shared fixture, this binds the models
    only when their table names change: they never do between these tests, and binding
    builds a new DynamoDB client (and botocore session) per model, ~0.2 s each."""
    stack = provision(session, {"Stage": "unit"}, template)
    names = {logical.removesuffix("Table").lower(): name for logical, name in stack.tables.items()}
    wanted = {key: name for key, name in names.items() if key in TABLE_MODELS}
    if any(TABLE_MODELS[key].Meta.table_name != name for key, name in wanted.items()):
        bind_tables(wanted, REGION)
    return stack


COLD_START = send_entry.services  # the function's own (cached) builder
_built: list[SendServices] = []


@pytest.fixture
def sender(
    tables: Stack,
    template: dict[str, Any],
    sample_directory: Directory,
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[[], SendServices]:
    """The send function's environment as template.yaml sets it (rates unlimited: tests
    need not wait on quotas), the Sóc Trăng sample directory in its table, a pinned clock.

    Building the function's services (rules, templates, two SDK clients) takes a third of a
    second, so one real cold start serves the module and each test gets its own copy of the
    dependencies to change. Calling the fixture's value does a real cold start from the
    current environment (after setting DRY_RUN, say)."""
    for key, value in environment(tables, "SendAlertFunction", template).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SMS_RATE_PER_SECOND", "0")
    monkeypatch.setenv("EMAIL_RATE_PER_SECOND", "0")
    with UnitItem.batch_write() as batch:
        for unit in sample_directory.values():
            batch.save(item_of(unit, NOW))

    def cold_start() -> SendServices:
        COLD_START.cache_clear()
        built = COLD_START()
        COLD_START.cache_clear()
        return built

    def install(built: SendServices) -> SendServices:
        deps = dataclasses.replace(built.deps, clock=Clock(NOW))
        own = dataclasses.replace(built, deps=deps)
        monkeypatch.setattr(send_entry, "services", lambda: own)
        return own

    if not _built:
        _built.append(cold_start())
    install(_built[0])
    return lambda: install(cold_start())


@pytest.fixture
def services(sender: Callable[[], SendServices]) -> SendServices:
    """This test's copy of the function's services (what the handler will use)."""
    return send_entry.services()


@pytest.fixture
def outcomes(monkeypatch: pytest.MonkeyPatch) -> list[Outcome]:
    """Every delivery's outcome, in the order they finish."""
    seen: list[Outcome] = []
    deliver = send_entry.deliver

    def spy(*args: Any, **kwargs: Any) -> Outcome:
        outcome = deliver(*args, **kwargs)
        seen.append(outcome)
        return outcome

    monkeypatch.setattr(send_entry, "deliver", spy)
    return seen


class CurrentStdout:
    """Writes to whatever sys.stdout is at the moment (pytest swaps it between phases)."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


@pytest.fixture
def logs(capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[[], str]]:
    """What the function prints: Powertools' JSON log lines and EMF metrics. The logger's
    handler holds the stdout of the moment it was created; point it at the current one."""
    handler = logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    previous = handler.setStream(CurrentStdout())  # type: ignore[arg-type]
    yield lambda: capsys.readouterr().out
    handler.setStream(previous)


# --- sending -------------------------------------------------------------------------------


@pytest.mark.usefixtures("sender")
def test_an_alert_goes_out_by_sms_with_the_notices_text_to_each_leaders_number(
    sample_directory: Directory, rules: RulesConfig
) -> None:
    # Given the provincial portal of Sở TTTT went 4 days without a post
    messages = notifications(portal_breach(), sample_directory, rules, "sms")
    # When its SMS notifications are delivered
    failed = send(sqs_event(*messages))
    # Then each leader's E.164 number receives the notice's text, verbatim
    assert failed == []
    assert sorted(sms_sent()) == [(phone, PORTAL_TEXT) for phone in STTTT_PHONES]
    assert emails_sent() == []
    for message in messages:
        item = record(message)
        assert (item.status, item.text, item.attempts) == ("sent", PORTAL_TEXT, 1)
        assert item.provider_message_id in sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages


@pytest.mark.usefixtures("sender")
def test_an_alert_goes_out_by_email_through_ses_v2_in_vietnamese(
    sample_directory: Directory, rules: RulesConfig
) -> None:
    # Given the same breach's e-mail notifications
    messages = notifications(portal_breach(), sample_directory, rules, "email")
    # When they are delivered
    failed = send(sqs_event(*messages))
    # Then SES v2 sent one e-mail to each leader's address, and nothing else
    assert failed == []
    sent = sorted(emails_sent(), key=lambda m: m.destinations["ToAddresses"])
    assert [m.destinations for m in sent] == [{"ToAddresses": [a]} for a in STTTT_EMAILS]
    for email in sent:
        # The subject is the Vietnamese text exactly, diacritics and all (NFC)
        assert email.subject == f"[Cảnh báo IOC] {PORTAL_TEXT}"
        assert email.source == "canhbao@example.gov.vn"
        assert "<p>Kính gửi " in email.body
        assert "Sở Thông tin và Truyền thông (mã STTTT)" in email.body
    assert sms_sent() == []
    assert {record(m).status for m in messages} == {"sent"}


@pytest.mark.usefixtures("sender")
def test_records_are_queryable_by_breach_and_by_recipient_with_the_sms_cost(
    sample_directory: Directory, rules: RulesConfig
) -> None:
    # Given Huyện Châu Thành's overdue dossiers, sent to both leaders by SMS and e-mail
    breach = overdue_breach("942")
    send(sqs_event(*notifications(breach, sample_directory, rules)))
    # When the deliveries are read back
    store = DeliveryStore(timedelta(days=400))
    by_breach = store.for_breach(breach.breach_id)
    by_phone = store.for_recipient("+84900010004")
    by_address = store.for_recipient("lanhdao1.942@example.gov.vn")
    # Then the breach has its four deliveries, each recipient its own
    assert sorted((item.channel, item.status) for item in by_breach) == [
        ("email", "sent"),
        ("email", "sent"),
        ("sms", "sent"),
        ("sms", "sent"),
    ]
    (sms,) = by_phone
    assert (sms.text, sms.encoding, sms.segments) == (
        "UBND huyện Châu Thành đã trễ hạn 3 hồ sơ dịch vụ công",
        "UCS-2",
        1,
    )
    assert (sms.rule, sms.unit, sms.recipient_unit, sms.sent_at) == (
        "dossiers_overdue",
        "942",
        "942",
        NOW,
    )
    (email,) = by_address
    assert email.text == "[Cảnh báo IOC] UBND huyện Châu Thành đã trễ hạn 3 hồ sơ dịch vụ công"
    assert email.segments is None


# --- partial batch failure -----------------------------------------------------------------


def phone_of(message: NotificationMessage, directory: Directory) -> str:
    (phone,) = [
        c.phone
        for c in directory[message.recipient_unit].contacts
        if c.contact_id == message.contact_id
    ]
    assert phone is not None
    return phone


def ten_sms(directory: Directory, rules: RulesConfig) -> list[NotificationMessage]:
    """Overdue dossiers in five districts: ten SMS, one per leader."""
    units = ["941", "942", "943", "944", "945"]
    return [
        m for unit in units for m in notifications(overdue_breach(unit), directory, rules, "sms")
    ]


@pytest.mark.usefixtures("sender")
def test_a_malformed_record_fails_alone(sample_directory: Directory, rules: RulesConfig) -> None:
    # Given a batch of ten records, the fifth of which is not a notification message
    messages = ten_sms(sample_directory, rules)
    bodies: list[NotificationMessage | str] = list(messages)
    bodies[4] = '{"v": 1, "notification_id": "truncated'
    # When the batch is handled
    failed = send(sqs_event(*bodies))
    # Then only that record goes back to SQS; the nine others are sent
    assert failed == [message_id(bodies[4])]
    others = [phone_of(m, sample_directory) for i, m in enumerate(messages) if i != 4]
    assert sorted(to for to, _ in sms_sent()) == sorted(others)


def test_a_transient_fault_for_one_number_fails_only_its_record(
    services: SendServices,
    sample_directory: Directory,
    rules: RulesConfig,
    session: boto3.Session,
) -> None:
    # Given SNS fails (500) for one leader's number, every time
    messages = ten_sms(sample_directory, rules)
    unlucky = messages[6]
    phone = phone_of(unlucky, sample_directory)
    services.deps.sms = SmsChannel(
        FlakySns(session.client("sns"), phone, client_error("InternalError")),
        rate=RateLimiter(0),
    )
    # When the batch of ten is handled
    failed = send(sqs_event(*messages))
    # Then only that record is retried, and the other nine leaders have their SMS
    assert failed == [message_id(unlucky)]
    assert len(sms_sent()) == 9
    assert phone not in {to for to, _ in sms_sent()}
    assert record(unlucky).status == "retrying"


# --- at most once --------------------------------------------------------------------------


@pytest.mark.usefixtures("sender")
def test_a_message_delivered_twice_sends_one_sms(
    sample_directory: Directory, rules: RulesConfig, outcomes: list[Outcome]
) -> None:
    # Given an SMS notification that SQS delivers twice (at-least-once delivery)
    (message, _) = notifications(portal_breach(), sample_directory, rules, "sms")
    # When both deliveries are handled, one after the other
    first = send(sqs_event(message, receive_count=1))
    second = send(sqs_event(message, receive_count=2))
    # Then one SMS went out; the second delivery saw it done and stopped
    assert first == second == []
    assert [o.status for o in outcomes] == ["sent", "duplicate"]
    assert len(sms_sent()) == 1
    assert (record(message).status, record(message).attempts) == ("sent", 1)


class RacingStore:
    """The real delivery store, made to let two deliveries claim at the same instant. The
    winner records its outcome only once the loser has found the claim taken, so the loser
    sees the claim in progress (never the finished record)."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.start = threading.Barrier(2, timeout=10)
        self.lost = threading.Event()
        self.claims: list[Claim] = []

    def claim(self, *args: Any, **kwargs: Any) -> Claim:
        self.start.wait()
        claim = self.store.claim(*args, **kwargs)
        self.claims.append(claim)
        if not claim.claimed:
            self.lost.set()
        return claim

    def finish(self, *args: Any, **kwargs: Any) -> None:
        assert self.lost.wait(10), "the other delivery never lost its claim"
        self.store.finish(*args, **kwargs)


@pytest.fixture
def atomic_updates(monkeypatch: pytest.MonkeyPatch) -> None:
    """DynamoDB applies a conditional update to an item atomically. moto checks the
    condition and then writes, with no lock, so two threads can both pass the check; a
    lock around moto's UpdateItem restores what DynamoDB guarantees."""
    lock = threading.Lock()
    update_item = DynamoDBBackend.update_item

    def locked(self: DynamoDBBackend, *args: Any, **kwargs: Any) -> Any:
        with lock:
            return update_item(self, *args, **kwargs)

    monkeypatch.setattr(DynamoDBBackend, "update_item", locked)


@pytest.mark.usefixtures("atomic_updates")
def test_two_deliveries_at_once_send_once_and_the_loser_is_retried(
    services: SendServices,
    sample_directory: Directory,
    rules: RulesConfig,
    outcomes: list[Outcome],
) -> None:
    # Given the same SMS notification delivered to two function instances at once
    (message, _) = notifications(portal_breach(), sample_directory, rules, "sms")
    store = services.deps.deliveries
    racing = RacingStore(store)
    services.deps.deliveries = racing
    event = sqs_event(message)
    # When both handle it concurrently
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(send, [event, event]))
    # Then exactly one SMS went out; the other delivery found the claim held (sending),
    # which is DeliveryInProgress: a failed batch item, for SQS to deliver again
    assert sorted((c.claimed, c.status) for c in racing.claims) == [
        (False, "sending"),
        (True, "sending"),
    ]
    assert sorted(results) == [[], [message_id(message)]]
    assert len(sms_sent()) == 1
    assert [o.status for o in outcomes] == ["sent"]
    # And when SQS delivers it again, it is seen as done
    services.deps.deliveries = store
    assert send(sqs_event(message, receive_count=2)) == []
    assert [o.status for o in outcomes] == ["sent", "duplicate"]
    assert len(sms_sent()) == 1
    assert record(message).attempts == 1


def test_a_crash_after_the_claim_lets_the_retry_send_once_the_lease_is_over(
    services: SendServices, sample_directory: Directory, rules: RulesConfig
) -> None:
    # Given a sender claimed the notification at 08:00 and died before sending
    (message, _) = notifications(portal_breach(), sample_directory, rules, "sms")
    DeliveryStore(timedelta(days=400)).claim(message, STTTT_PHONES[0], NOW, timedelta(seconds=40))
    assert record(message).status == "sending"
    # When SQS delivers it again while the lease still runs
    services.deps.clock = Clock(NOW + timedelta(seconds=20))
    early = send(sqs_event(message, receive_count=2))
    # Then nothing is sent yet: the claim might still be in use, so the record is retried
    assert early == [message_id(message)]
    assert sms_sent() == []
    # When SQS delivers it once more, after the lease
    services.deps.clock = Clock(NOW + timedelta(minutes=3))
    late = send(sqs_event(message, receive_count=3))
    # Then it is sent, once, on the second claim
    assert late == []
    assert sms_sent() == [(STTTT_PHONES[0], PORTAL_TEXT)]
    assert (record(message).status, record(message).attempts) == ("sent", 2)


# --- transient errors ----------------------------------------------------------------------


@pytest.mark.parametrize(("code", "status"), [("Throttling", 400), ("Throttled", 429)])
def test_throttling_is_retried_by_sqs_and_the_sms_recorded_once(
    services: SendServices,
    sample_directory: Directory,
    rules: RulesConfig,
    code: str,
    status: int,
    session: boto3.Session,
) -> None:
    # Given SNS throttles the first publish and accepts the next
    (message, _) = notifications(portal_breach(), sample_directory, rules, "sms")
    sns = session.client("sns")
    services.deps.sms = SmsChannel(sns, rate=RateLimiter(0))
    with Stubber(sns) as stub:
        for outcome in ("throttled", "accepted"):
            stub.add_response("check_if_phone_number_is_opted_out", {"isOptedOut": False})
            if outcome == "throttled":
                stub.add_client_error("publish", code, "Rate exceeded", http_status_code=status)
            else:
                stub.add_response("publish", {"MessageId": "sns-after-throttle"})
        # When SQS delivers the message, and after the failure delivers it again
        first = send(sqs_event(message, receive_count=1))
        throttled = record(message)
        second = send(sqs_event(message, receive_count=2))
        stub.assert_no_pending_responses()
    # Then the first delivery was recorded as retrying and failed its batch item
    assert first == [message_id(message)]
    assert throttled.status == "retrying"
    assert throttled.reason is not None
    assert code in throttled.reason
    # And the second one sent it: one record, sent on the second attempt
    assert second == []
    item = record(message)
    assert (item.status, item.attempts, item.provider_message_id) == (
        "sent",
        2,
        "sns-after-throttle",
    )
    assert len(DeliveryStore(timedelta(days=1)).for_breach(message.breach_id)) == 1


def test_the_function_knows_the_queues_max_receive_count(
    services: SendServices, template: dict[str, Any]
) -> None:
    # The function learns the queue's maxReceiveCount from MAX_RECEIVE_COUNT: the two
    # must agree, or a last attempt is never recorded as dead-lettered (or too early)
    queue = template["Resources"]["NotificationQueue"]["Properties"]
    function = template["Resources"]["SendAlertFunction"]["Properties"]
    assert queue["RedrivePolicy"]["maxReceiveCount"] == {"Ref": "MaxReceiveCount"}
    assert function["Environment"]["Variables"]["MAX_RECEIVE_COUNT"] == {"Ref": "MaxReceiveCount"}
    default = template["Parameters"]["MaxReceiveCount"]["Default"]
    assert services.deps.max_receive_count == default


def test_a_transient_error_is_retried_until_the_last_receive_then_dead_lettered(
    services: SendServices,
    sample_directory: Directory,
    rules: RulesConfig,
    session: boto3.Session,
) -> None:
    # Given SNS keeps failing for one leader's number
    (message, _) = notifications(portal_breach(), sample_directory, rules, "sms")
    services.deps.sms = SmsChannel(
        FlakySns(
            session.client("sns"),
            STTTT_PHONES[0],
            client_error("InternalError", status=500),
        ),
        rate=RateLimiter(0),
    )
    last = services.deps.max_receive_count
    statuses = []
    # When SQS delivers it up to its maxReceiveCount
    for receive_count in range(1, last + 1):
        assert send(sqs_event(message, receive_count=receive_count)) == [message_id(message)]
        statuses.append(record(message).status)
    # Then each attempt fails its batch item; the last is recorded as dead-lettered
    assert statuses == ["retrying"] * (last - 1) + ["dead_letter"]
    item = record(message)
    assert item.attempts == last
    assert (
        item.reason == "ClientError: An error occurred (InternalError) when calling the "
        "Publish operation: InternalError"
    )
    assert sms_sent() == []


def test_a_transient_error_on_the_first_receive_is_sent_on_the_second(
    services: SendServices,
    sample_directory: Directory,
    rules: RulesConfig,
    session: boto3.Session,
) -> None:
    # Given SNS is unavailable for the first publish only
    (message, _) = notifications(portal_breach(), sample_directory, rules, "sms")
    services.deps.sms = SmsChannel(
        FlakySns(
            session.client("sns"),
            STTTT_PHONES[0],
            client_error("ServiceUnavailable", status=503),
            times=1,
        ),
        rate=RateLimiter(0),
    )
    # When SQS delivers the message the first time
    first = send(sqs_event(message, receive_count=1))
    # Then it is recorded as retrying and its batch item fails
    assert first == [message_id(message)]
    assert record(message).status == "retrying"
    # When SQS delivers it the second time
    second = send(sqs_event(message, receive_count=2))
    # Then it is sent, on the same record's second attempt
    assert second == []
    assert (record(message).status, record(message).attempts) == ("sent", 2)
    assert sms_sent() == [(STTTT_PHONES[0], PORTAL_TEXT)]


# --- permanent refusals --------------------------------------------------------------------


@pytest.mark.usefixtures("sender")
def test_an_invalid_number_is_recorded_as_failed_and_not_retried(rules: RulesConfig) -> None:
    # Given a leader's number was typed into the table by hand, not in E.164
    leader = Contact("Nguyễn Văn Tâm", "0900010053", None, "Giám đốc")
    put_unit("SYT", "Sở Y tế", "department", "94", [leader])
    directory = DirectoryTable().read()
    (message,) = notifications(overdue_breach("SYT"), directory, rules)
    # When its SMS is delivered
    failed = send(sqs_event(message))
    # Then SNS refuses it; the record says why; SQS is not asked to try again
    assert failed == []
    item = record(message)
    assert (item.status, item.reason, item.to) == (
        "failed",
        "SNS refused the SMS: InvalidParameter",
        "0900010053",
    )
    assert sms_sent() == []


@pytest.mark.parametrize("code", ["MessageRejected", "BadRequestException"])
def test_a_rejected_email_is_recorded_as_failed_and_not_retried(
    services: SendServices,
    sample_directory: Directory,
    rules: RulesConfig,
    code: str,
    session: boto3.Session,
) -> None:
    messages = notifications(portal_breach(), sample_directory, rules, "email")
    ses = session.client("sesv2")
    services.deps.email = EmailChannel(
        ses, from_address="canhbao@example.gov.vn", configuration_set="", rate=RateLimiter(0)
    )
    with Stubber(ses) as stub:
        stub.add_client_error("send_email", code, "Address blacklisted.")
        stub.add_response("send_email", {"MessageId": "ses-1"})
        failed = send(sqs_event(*messages[:1]))
        failed += send(sqs_event(*messages[1:]))
    assert failed == []
    statuses = sorted((record(m).status, record(m).reason) for m in messages)
    assert statuses == [("failed", f"SES refused the e-mail: {code}"), ("sent", None)]


@pytest.mark.usefixtures("sender")
def test_an_opted_out_number_is_recorded_and_never_published_to(rules: RulesConfig) -> None:
    # Given a leader whose number has opted out of SMS (moto: numbers ending in 99)
    leader = Contact("Nguyễn Văn Tâm", "+84900010099", "lanhdao1.syt@example.gov.vn", "Giám đốc")
    put_unit("SYT", "Sở Y tế", "department", "94", [leader])
    (sms, email) = notifications(overdue_breach("SYT"), DirectoryTable().read(), rules)
    # When the notifications are delivered
    failed = send(sqs_event(sms, email))
    # Then no SMS is published, the record says opted out, and nothing is retried;
    # the e-mail still goes out
    assert failed == []
    assert sms_sent() == []
    assert (record(sms).status, record(sms).reason) == (
        "opted_out",
        "the number has opted out of SMS (SNS opt-out list)",
    )
    assert record(email).status == "sent"
    assert [m.destinations for m in emails_sent()] == [
        {"ToAddresses": ["lanhdao1.syt@example.gov.vn"]}
    ]


@pytest.mark.usefixtures("sender")
def test_a_contact_removed_after_queueing_is_failed_with_the_reason(
    sample_directory: Directory, rules: RulesConfig
) -> None:
    # Given notifications queued for both leaders of Huyện Châu Thành
    messages = notifications(overdue_breach("942"), sample_directory, rules, "sms")
    first, second = sample_directory["942"].contacts
    # And the first leader removed from the directory before the send
    put_unit("942", "Huyện Châu Thành", "district", "94", [second], "UBND huyện Châu Thành")
    # When the notifications are delivered
    failed = send(sqs_event(*messages))
    # Then the removed leader's is failed, naming why, and not retried; the other is sent
    assert failed == []
    removed = next(m for m in messages if m.contact_id == first.contact_id)
    item = record(removed)
    assert (item.status, item.reason) == (
        "failed",
        "the contact is no longer listed for unit 942",
    )
    assert item.to is None
    assert sms_sent() == [(second.phone, "UBND huyện Châu Thành đã trễ hạn 3 hồ sơ dịch vụ công")]


# --- dry run, hostile data, logs -----------------------------------------------------------


def test_a_dry_run_renders_and_records_but_sends_nothing(
    sender: Callable[[], SendServices],
    sample_directory: Directory,
    rules: RulesConfig,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given the function deployed with DryRun=true
    monkeypatch.setenv("DRY_RUN", "true")
    assert sender().deps.dry_run is True
    messages = notifications(portal_breach(), sample_directory, rules)
    # When the notifications are delivered
    failed = send(sqs_event(*messages))
    # Then each is recorded as a dry run with what would have gone out, and nothing did
    assert failed == []
    assert sms_sent() == []
    assert emails_sent() == []
    for message in messages:
        item = record(message)
        assert item.status == "dry_run"
        assert item.provider_message_id is None
        if message.channel == "sms":
            assert (item.text, item.encoding, item.segments) == (PORTAL_TEXT, "UCS-2", 2)
            assert item.to in STTTT_PHONES
        else:
            assert item.text == f"[Cảnh báo IOC] {PORTAL_TEXT}"
            assert item.to in STTTT_EMAILS


@pytest.mark.usefixtures("sender")
def test_a_hostile_unit_name_cannot_add_headers_recipients_markup_or_template_code(
    sample_directory: Directory, rules: RulesConfig
) -> None:
    # Given a unit name with a line break, a header, a script and template code, written
    # straight into the directory table
    put_unit(
        "STTTT", HOSTILE, "department", "94", list(sample_directory["STTTT"].contacts), HOSTILE
    )
    messages = notifications(portal_breach(), DirectoryTable().read(), rules)
    # When its alerts are sent
    assert send(sqs_event(*messages)) == []
    # Then each e-mail goes to its one intended address only, under a one-line subject
    sent = sorted(emails_sent(), key=lambda m: m.destinations["ToAddresses"])
    assert [m.destinations for m in sent] == [{"ToAddresses": [a]} for a in STTTT_EMAILS]
    for email in sent:
        assert "\r" not in email.subject
        assert "\n" not in email.subject
        assert email.subject.startswith("[Cảnh báo IOC] Đã quá 4 ngày X Bcc: attacker@")
        # The HTML carries the name as escaped text, and the template code unevaluated
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in email.body
        assert "<script>" not in email.body
        assert "{{ 7*7 }}" in email.body
        assert "49" not in email.body
        assert "49" not in email.subject
    # And the SMS texts are one line, with the name as plain text
    for _, text in sms_sent():
        assert "\r" not in text
        assert "\n" not in text
        assert "{{ 7*7 }}" in text


def test_no_log_line_holds_a_full_phone_number_or_email_address(
    services: SendServices,
    sample_directory: Directory,
    rules: RulesConfig,
    logs: Callable[[], str],
    session: boto3.Session,
) -> None:
    # Given a batch with every kind of outcome: sent by SMS and e-mail, opted out, refused,
    # a transient error, and a malformed record
    put_unit(
        "SYT",
        "Sở Y tế",
        "department",
        "94",
        [
            Contact("Nguyễn Văn Tâm", "+84900010099", "lanhdao1.syt@example.gov.vn", "Giám đốc"),
            Contact("Trần Thị Hoa", "0900010054", None, "Phó Giám đốc"),
        ],
    )
    directory = DirectoryTable().read()
    messages = notifications(overdue_breach("942"), directory, rules) + notifications(
        overdue_breach("SYT"), directory, rules
    )
    services.deps.sms = SmsChannel(
        FlakySns(session.client("sns"), "+84900010005", client_error("Throttling")),
        rate=RateLimiter(0),
    )
    # When the batch is handled
    failed = send(sqs_event(*messages, '{"phone": "+84900010004"}'))
    # Then every log line masks the numbers and addresses it mentions
    assert len(failed) == 2
    out = logs()
    assert '"to":"+849******04"' in out
    assert '"to":"l***@example.gov.vn"' in out
    assert re.findall(r"\+?84900\d{6}|0900\d{6}", out) == []
    assert re.findall(r"[\w.+-]{2,}@example\.gov\.vn", out) == []
