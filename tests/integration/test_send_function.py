"""The send function over real HTTP: notifications queued in the emulated SQS queue, received
as Lambda's poller would, handled by the real handler, sent through the emulated SNS and
SES, and read back from the moto server's outbox."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSRequest, AWSResponse
from botocore.exceptions import ClientError

from ioc_alerts import send_entry
from ioc_alerts.adapters.aws import AWS_CONFIG
from ioc_alerts.adapters.channels import RateLimiter, SmsChannel
from ioc_alerts.adapters.delivery_store import DeliveryStore
from ioc_alerts.adapters.directory_table import DirectoryTable
from ioc_alerts.adapters.models import ContactAttribute, DeliveryItem, UnitItem
from ioc_alerts.adapters.notification_queue import NotificationQueue
from ioc_alerts.config import RulesConfig
from ioc_alerts.directory import Contact, Directory
from ioc_alerts.directory_files import load_directory
from ioc_alerts.local.invoke import invoke
from ioc_alerts.local.provision import Stack
from ioc_alerts.messages import NotificationMessage
from ioc_alerts.notifications import plan
from ioc_alerts.rules import Breach
from tests.send_data import (
    HOSTILE,
    PORTAL_TEXT,
    STTTT_EMAILS,
    STTTT_PHONES,
    overdue_breach,
    portal_breach,
)

SAMPLES = Path(__file__).resolve().parents[2] / "layers/common/ioc_alerts/samples"
Outbox = Callable[[], dict[str, list[dict[str, Any]]]]

pytestmark = pytest.mark.integration

RETENTION = timedelta(days=400)


@pytest.fixture(scope="module")
def sample() -> Directory:
    """The directory the stack is loaded with (Sóc Trăng, 2023)."""
    directory, problems = load_directory(SAMPLES / "soctrang-2023/directory.json")
    assert problems == []
    return directory


def notifications(
    breach: Breach, directory: Directory, rules: RulesConfig, channel: str | None = None
) -> list[NotificationMessage]:
    """The queue messages the check function would send for the breach."""
    planned = plan(breach, directory, rules).notifications
    return [NotificationMessage.of(n) for n in planned if channel in (None, n.channel)]


def queue(stack: Stack, messages: list[NotificationMessage]) -> None:
    """Queue the messages as the check function does."""
    NotificationQueue(boto3.client("sqs"), stack.queues["NotificationQueue"]).send(messages)


def handle(poller: Any) -> tuple[dict[str, Any], list[str]]:
    """One round of the poller: receive a batch, run the function, settle the batch."""
    event = poller.receive()
    assert event["Records"], "the queue had nothing to deliver"
    response = invoke("send_alert", event, 30)
    poller.settle(event, response)
    return event, [failure["itemIdentifier"] for failure in response["batchItemFailures"]]


def receive_counts(event: dict[str, Any]) -> list[int]:
    return [int(r["attributes"]["ApproximateReceiveCount"]) for r in event["Records"]]


def record(message: NotificationMessage) -> DeliveryItem:
    return DeliveryItem.get(message.notification_id, consistent_read=True)


def put_unit(code: str, name: str, contacts: list[Contact], short_name: str | None) -> None:
    """Write a department straight into the directory table, past the loaders' checks."""
    UnitItem(
        code,
        name=name,
        short_name=short_name,
        level="department",
        parent="94",
        contacts=[
            ContactAttribute(
                contact_id=c.contact_id, name=c.name, title=c.title, phone=c.phone, email=c.email
            )
            for c in contacts
        ],
        updated_at=datetime(2023, 11, 6, tzinfo=UTC),
    ).save()


def test_queued_notifications_go_out_by_sms_and_email(
    send_stack: Stack, poller: Any, outbox: Outbox, rules: RulesConfig, sample: Directory
) -> None:
    # Given the provincial portal's first alert queued for Sở TTTT's two leaders
    queue(send_stack, notifications(portal_breach(), sample, rules))
    # When the poller hands the batch to the send function
    event, failed = handle(poller)
    # Then each leader's number received the notice's text, and each mailbox an e-mail
    # with the Vietnamese subject intact
    assert failed == []
    assert len(event["Records"]) == 4
    sent = outbox()
    assert sorted((s["phone_number"], s["message"]) for s in sent["sms"]) == [
        (phone, PORTAL_TEXT) for phone in STTTT_PHONES
    ]
    emails = sorted(sent["email"], key=lambda e: e["destinations"]["ToAddresses"])
    assert [e["destinations"] for e in emails] == [{"ToAddresses": [a]} for a in STTTT_EMAILS]
    assert {e["subject"] for e in emails} == {f"[Cảnh báo IOC] {PORTAL_TEXT}"}
    assert {e["source"] for e in emails} == {"canhbao@example.gov.vn"}
    assert all("Sở Thông tin và Truyền thông (mã STTTT)" in e["body"] for e in emails)
    # And the breach's four deliveries are recorded as sent, and the queue is empty
    deliveries = DeliveryStore(RETENTION).for_breach(portal_breach().breach_id)
    assert sorted((d.channel, d.status) for d in deliveries) == [
        ("email", "sent"),
        ("email", "sent"),
        ("sms", "sent"),
        ("sms", "sent"),
    ]
    (sms,) = DeliveryStore(RETENTION).for_recipient(STTTT_PHONES[0])
    assert (sms.encoding, sms.segments) == ("UCS-2", 2)
    assert poller.receive()["Records"] == []


def test_a_malformed_message_among_ten_is_redelivered_alone(
    send_stack: Stack, poller: Any, outbox: Outbox, rules: RulesConfig, sample: Directory
) -> None:
    # Given nine SMS notifications and one message that is not a notification
    messages = [
        m
        for unit in ("941", "942", "943", "944", "945")
        for m in notifications(overdue_breach(unit), sample, rules, "sms")
    ][:9]
    queue(send_stack, messages)
    poller.sqs.send_message(QueueUrl=poller.queue_url, MessageBody='{"v": 1, "notif')
    # When the batch of ten is handled
    event, failed = handle(poller)
    # Then only the malformed one is reported failed; the nine SMS went out
    assert len(event["Records"]) == 10
    (bad,) = [r["messageId"] for r in event["Records"] if r["body"].startswith('{"v": 1, "notif')]
    assert failed == [bad]
    assert len(outbox()["sms"]) == 9
    # And SQS delivers that one alone again, for the second time
    again = poller.receive()
    assert [r["messageId"] for r in again["Records"]] == [bad]
    assert receive_counts(again) == [2]


def test_a_message_delivered_again_is_not_sent_again(
    send_stack: Stack, poller: Any, outbox: Outbox, rules: RulesConfig, sample: Directory
) -> None:
    # Given an SMS notification delivered and sent, whose deletion was lost (so SQS
    # delivers it again after the visibility timeout)
    (message, _) = notifications(portal_breach(), sample, rules, "sms")
    queue(send_stack, [message])
    event = poller.receive()
    assert invoke("send_alert", event, 30) == {"batchItemFailures": []}
    (handle_of_first,) = [r["receiptHandle"] for r in event["Records"]]
    poller.sqs.change_message_visibility(
        QueueUrl=poller.queue_url, ReceiptHandle=handle_of_first, VisibilityTimeout=0
    )
    # When the second delivery is handled
    again, failed = handle(poller)
    # Then it succeeds without sending: one SMS, one attempt
    assert receive_counts(again) == [2]
    assert failed == []
    assert [s["phone_number"] for s in outbox()["sms"]] == [STTTT_PHONES[0]]
    assert (record(message).status, record(message).attempts) == ("sent", 1)


class FlakySns:
    """The function's SNS client, but publishing fails `times` times first (-1: always)."""

    def __init__(self, sns: Any, times: int) -> None:
        self._sns = sns
        self.times = times

    def check_if_phone_number_is_opted_out(self, **kwargs: Any) -> Any:
        return self._sns.check_if_phone_number_is_opted_out(**kwargs)

    def publish(self, **kwargs: Any) -> Any:
        if self.times != 0:
            self.times -= 1
            error = {"Code": "InternalError", "Message": "Internal Error"}
            raise ClientError({"Error": error}, "Publish")
        return self._sns.publish(**kwargs)


def test_a_notification_failing_every_receive_ends_in_the_dead_letter_queue(
    send_stack: Stack, poller: Any, outbox: Outbox, rules: RulesConfig, sample: Directory
) -> None:
    # Given SNS fails every publish
    (message, _) = notifications(portal_breach(), sample, rules, "sms")
    queue(send_stack, [message])
    failing = FlakySns(boto3.client("sns", config=AWS_CONFIG), times=-1)
    send_entry.services().deps.sms = SmsChannel(failing, rate=RateLimiter(0))
    # When SQS delivers it as often as the queue's maxReceiveCount allows
    statuses = []
    for receive_count in (1, 2, 3):
        event, failed = handle(poller)
        assert (receive_counts(event), len(failed)) == ([receive_count], 1)
        statuses.append(record(message).status)
    # Then the last attempt is recorded as dead-lettered, and SQS moves it to the DLQ
    assert statuses == ["retrying", "retrying", "dead_letter"]
    assert poller.receive()["Records"] == []
    assert poller.dead_letters() == [message.body()]
    assert outbox()["sms"] == []


THROTTLING = (
    b'<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error>'
    b"<Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message>"
    b"</Error><RequestId>throttled-1</RequestId></ErrorResponse>"
)


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Any:
        yield self.body


def test_throttling_is_absorbed_by_the_sdks_retries_and_sent_once(
    send_stack: Stack, poller: Any, outbox: Outbox, rules: RulesConfig, sample: Directory
) -> None:
    # Given SNS answers the first Publish with a Throttling error (HTTP 400), on a client
    # configured as the function configures its own (standard retries, five attempts)
    (message, _) = notifications(portal_breach(), sample, rules, "sms")
    queue(send_stack, [message])
    sns = boto3.client("sns", config=AWS_CONFIG)
    throttled: list[str] = []

    def throttle_once(request: AWSRequest, **_: Any) -> AWSResponse | None:
        if throttled:
            return None
        throttled.append(request.url)
        return AWSResponse(request.url, 400, {"Content-Type": "text/xml"}, _Raw(THROTTLING))

    sns.meta.events.register_first("before-send.sns.Publish", throttle_once)
    send_entry.services().deps.sms = SmsChannel(sns, rate=RateLimiter(0))
    # When the message is delivered
    _, failed = handle(poller)
    # Then the SDK retried within the delivery: sent once, on the first attempt
    assert len(throttled) == 1
    assert failed == []
    assert [s["message"] for s in outbox()["sms"]] == [PORTAL_TEXT]
    assert (record(message).status, record(message).attempts) == ("sent", 1)


def test_refused_and_opted_out_numbers_are_recorded_and_not_retried(
    send_stack: Stack, poller: Any, outbox: Outbox, rules: RulesConfig
) -> None:
    # Given Sở Y tế's leaders: one number opted out (moto: ending in 99), one typed into
    # the table in national format (not E.164)
    put_unit(
        "SYT",
        "Sở Y tế",
        [
            Contact("Nguyễn Văn Tâm", "+84900010099", None, "Giám đốc"),
            Contact("Trần Thị Hoa", "0900010054", None, "Phó Giám đốc"),
        ],
        "Sở Y tế",
    )
    messages = notifications(overdue_breach("SYT"), DirectoryTable().read(), rules)
    queue(send_stack, messages)
    # When they are delivered
    _, failed = handle(poller)
    # Then nothing is retried, nothing is published, and the records say why
    assert failed == []
    assert outbox()["sms"] == []
    outcomes = sorted((record(m).to, record(m).status, record(m).reason) for m in messages)
    assert outcomes == [
        ("+84900010099", "opted_out", "the number has opted out of SMS (SNS opt-out list)"),
        ("0900010054", "failed", "SNS refused the SMS: InvalidParameter"),
    ]
    assert poller.receive()["Records"] == []


def test_a_hostile_unit_name_stays_text_in_the_sent_email(
    send_stack: Stack, poller: Any, outbox: Outbox, rules: RulesConfig, sample: Directory
) -> None:
    # Given Sở TTTT's name replaced in the table by one with a line break, a header, a
    # script and template code
    put_unit("STTTT", HOSTILE, list(sample["STTTT"].contacts), HOSTILE)
    queue(send_stack, notifications(portal_breach(), DirectoryTable().read(), rules, "email"))
    # When its e-mails are sent
    _, failed = handle(poller)
    # Then each goes to its one intended address, under a one-line subject, with the
    # name escaped in the HTML and the template code never evaluated
    assert failed == []
    emails = sorted(outbox()["email"], key=lambda e: e["destinations"]["ToAddresses"])
    assert [e["destinations"] for e in emails] == [{"ToAddresses": [a]} for a in STTTT_EMAILS]
    for email in emails:
        assert "\r" not in email["subject"]
        assert "\n" not in email["subject"]
        assert "&lt;script&gt;" in email["body"]
        assert "<script>" not in email["body"]
        assert "49" not in email["body"]
        assert "49" not in email["subject"]
