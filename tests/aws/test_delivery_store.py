"""Delivery records: the claim that lets one delivery of a notification send it (at most
once), the outcome it records, and reading the records back by breach and by recipient."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3
import pytest

from ioc_alerts.adapters.delivery_store import (
    DEAD_LETTER,
    DRY_RUN,
    FAILED,
    OPTED_OUT,
    RETRYING,
    SENDING,
    SENT,
    DeliveryStore,
)
from ioc_alerts.adapters.models import TABLE_MODELS, DeliveryItem, bind_tables
from ioc_alerts.local.provision import Stack, provision
from ioc_alerts.messages import BreachFacts, NotificationMessage

pytestmark = pytest.mark.usefixtures("tables")

REGION = "ap-southeast-1"
MONDAY = date(2023, 11, 6)
NOW = datetime(2023, 11, 6, 1, 0, tzinfo=UTC)  # 08:00, Monday 6 November 2023, Vietnam time
LEASE = timedelta(seconds=40)
RETENTION = timedelta(days=400)
PHONE = "+84900010004"
EMAIL = "lanhdao1.942@example.gov.vn"


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


def message(
    unit: str = "942",
    channel: str = "sms",
    contact_id: str = "16738d284372e029",
    day: date = MONDAY,
) -> NotificationMessage:
    facts = BreachFacts(
        rule="dossiers_overdue",
        variant="default",
        unit_code=unit,
        subject=unit,
        day=day,
        value=3,
        threshold=2,
    )
    return NotificationMessage(
        notification_id=f"dossiers_overdue#{unit}#{day.isoformat()}#{channel}#{contact_id}",
        breach=facts,
        recipient_unit=unit,
        contact_id=contact_id,
        channel=channel,
    )


def test_the_first_claim_records_who_is_sent_what_and_holds_a_lease() -> None:
    store, note = DeliveryStore(RETENTION), message()
    # When a delivery claims the notification
    claim = store.claim(note, PHONE, NOW, LEASE)
    # Then it holds it, and the record says what is being sent to whom, until when
    assert (claim.claimed, claim.status, claim.attempt) == (True, SENDING, 1)
    item = DeliveryItem.get(note.notification_id)
    assert item.status == SENDING
    assert item.lease_until == NOW + LEASE
    assert (item.breach_id, item.rule, item.unit, item.channel, item.to) == (
        "dossiers_overdue#942#2023-11-06",
        "dossiers_overdue",
        "942",
        "sms",
        PHONE,
    )
    assert item.created_at == item.updated_at == NOW
    assert item.expires_at == NOW + RETENTION


def test_a_claim_held_by_another_delivery_keeps_this_one_out() -> None:
    store, note = DeliveryStore(RETENTION), message()
    store.claim(note, PHONE, NOW, LEASE)
    # When a second delivery of the same notification tries within the lease
    claim = store.claim(note, PHONE, NOW + timedelta(seconds=5), LEASE)
    # Then it is kept out, told the notification is being sent, and the record is unchanged
    assert (claim.claimed, claim.status, claim.attempt) == (False, SENDING, 1)
    assert DeliveryItem.get(note.notification_id).lease_until == NOW + LEASE


@pytest.mark.parametrize("outcome", [SENT, FAILED, OPTED_OUT])
def test_a_finished_notification_is_never_claimed_again(outcome: str) -> None:
    store, note = DeliveryStore(RETENTION), message()
    store.claim(note, PHONE, NOW, LEASE)
    store.finish(note.notification_id, NOW, outcome)
    # Even long after the lease
    claim = store.claim(note, PHONE, NOW + timedelta(days=1), LEASE)
    assert (claim.claimed, claim.status) == (False, outcome)


def test_a_dry_run_does_not_stop_a_later_real_delivery() -> None:
    # Given a notification rendered and recorded in dry-run mode
    store, note = DeliveryStore(RETENTION), message()
    store.claim(note, PHONE, NOW, LEASE)
    store.finish(note.notification_id, NOW, DRY_RUN)
    # When the same notification is delivered again with dry run switched off
    claim = store.claim(note, PHONE, NOW + timedelta(minutes=5), LEASE)
    # Then it is claimed (and will be sent), as its second attempt
    assert (claim.claimed, claim.status, claim.attempt) == (True, SENDING, 2)


def test_an_outcome_of_a_superseded_attempt_is_not_recorded() -> None:
    # Given attempt 1 whose lease ran out, and attempt 2 that took the claim over
    store, note = DeliveryStore(RETENTION), message()
    store.claim(note, PHONE, NOW, LEASE)
    store.claim(note, PHONE, NOW + LEASE + timedelta(seconds=1), LEASE)
    # When the late attempt 1 tries to record its outcome
    assert store.finish(note.notification_id, NOW, FAILED, reason="late", attempt=1) is False
    # Then only attempt 2 can record one
    assert store.finish(note.notification_id, NOW, SENT, attempt=2) is True
    assert DeliveryItem.get(note.notification_id).status == SENT


def test_a_claim_whose_lease_ran_out_is_taken_over() -> None:
    # Given a delivery that claimed at 08:00 and died before recording anything
    store, note = DeliveryStore(RETENTION), message()
    store.claim(note, PHONE, NOW, LEASE)
    # When the next delivery comes after the lease
    later = NOW + LEASE + timedelta(seconds=1)
    claim = store.claim(note, PHONE, later, LEASE)
    # Then it takes the claim: a second attempt, the first creation time kept
    assert (claim.claimed, claim.attempt) == (True, 2)
    item = DeliveryItem.get(note.notification_id)
    assert item.lease_until == later + LEASE
    assert (item.created_at, item.updated_at) == (NOW, later)


@pytest.mark.parametrize("outcome", [RETRYING, DEAD_LETTER])
def test_a_retrying_or_dead_lettered_notification_can_be_claimed_at_once(outcome: str) -> None:
    # A DLQ redrive delivers a dead-lettered message again: it must be able to send
    store, note = DeliveryStore(RETENTION), message()
    store.claim(note, PHONE, NOW, LEASE)
    store.finish(note.notification_id, NOW, outcome, reason="ClientError: Throttling")
    claim = store.claim(note, PHONE, NOW + timedelta(seconds=1), LEASE)
    assert (claim.claimed, claim.attempt) == (True, 2)


def test_sent_records_the_provider_id_text_encoding_and_segments() -> None:
    store, note = DeliveryStore(RETENTION), message()
    store.claim(note, PHONE, NOW, LEASE)
    sent_at = NOW + timedelta(seconds=2)
    text = "UBND huyện Châu Thành đã trễ hạn 3 hồ sơ dịch vụ công"
    store.finish(
        note.notification_id,
        sent_at,
        SENT,
        provider_message_id="sns-1",
        text=text,
        encoding="UCS-2",
        segments=1,
    )
    item = DeliveryItem.get(note.notification_id)
    assert (item.status, item.sent_at, item.updated_at) == (SENT, sent_at, sent_at)
    assert (item.provider_message_id, item.text, item.encoding, item.segments) == (
        "sns-1",
        text,
        "UCS-2",
        1,
    )
    assert item.reason is None


def test_only_the_holder_of_a_claim_records_an_outcome() -> None:
    store, note = DeliveryStore(RETENTION), message()
    store.claim(note, PHONE, NOW, LEASE)
    store.finish(note.notification_id, NOW, SENT)
    # A second outcome for the same claim (or for no claim at all) is refused
    assert store.finish(note.notification_id, NOW, FAILED, reason="late") is False
    assert store.finish("never-claimed", NOW, SENT) is False
    assert DeliveryItem.get(note.notification_id).status == SENT


def test_records_are_read_back_by_breach_and_by_recipient() -> None:
    # Given both leaders of Huyện Châu Thành alerted by SMS and e-mail, and another unit
    store = DeliveryStore(RETENTION)
    deliveries = [
        (message("942", "sms", "c1"), PHONE),
        (message("942", "email", "c1"), EMAIL),
        (message("942", "sms", "c2"), "+84900010005"),
        (message("943", "sms", "c3"), "+84900010006"),
    ]
    for i, (note, to) in enumerate(deliveries):
        store.claim(note, to, NOW + timedelta(minutes=i), LEASE)
    # A week later the same leader is alerted again
    next_week = message("942", "sms", "c1", day=MONDAY + timedelta(days=7))
    store.claim(next_week, PHONE, NOW + timedelta(days=7), LEASE)
    # When they are read by breach and by recipient
    by_breach = store.for_breach("dossiers_overdue#942#2023-11-06")
    by_phone = store.for_recipient(PHONE)
    # Then the breach has its three deliveries, and the number its two, oldest first
    assert sorted(item.to for item in by_breach) == sorted([PHONE, EMAIL, "+84900010005"])
    assert [item.notification_id for item in by_phone] == [
        "dossiers_overdue#942#2023-11-06#sms#c1",
        "dossiers_overdue#942#2023-11-13#sms#c1",
    ]
    assert [item.channel for item in store.for_recipient(EMAIL)] == ["email"]


def test_a_delivery_without_an_address_is_recorded_but_has_no_recipient() -> None:
    # A contact removed from the directory leaves nothing to address
    store, note = DeliveryStore(RETENTION), message()
    store.claim(note, None, NOW, LEASE)
    store.finish(note.notification_id, NOW, FAILED, reason="the contact is no longer listed")
    item = DeliveryItem.get(note.notification_id)
    assert item.to is None
    assert [i.notification_id for i in store.for_breach(note.breach_id)] == [note.notification_id]
