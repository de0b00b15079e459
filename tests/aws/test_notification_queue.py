"""The notification queue: ten messages per SendMessageBatch call; entries SQS reports as
failed are sent again, never dropped, and a message that never gets in fails the run."""

from __future__ import annotations

import json
import threading
from collections.abc import Collection
from datetime import date
from typing import Any

import pytest

from ioc_alerts.adapters.notification_queue import NotificationQueue, QueueError
from ioc_alerts.messages import BreachFacts, NotificationMessage

QUEUE_URL = "https://sqs.ap-southeast-1.amazonaws.com/123456789012/ioc-alerts-notifications-unit"


class FakeSqs:
    """Records SendMessageBatch calls; refuses the listed notifications `fail_times` times
    each (-1: always), the way SQS reports per-entry failures in a 200 answer."""

    def __init__(self, failing: Collection[str] = (), fail_times: int = 0) -> None:
        self.calls: list[list[dict[str, str]]] = []
        self.queued: list[str] = []  # notification ids SQS accepted
        self.failing = set(failing)
        self.fail_times = fail_times
        self._failures: dict[str, int] = {}
        self._lock = threading.Lock()

    def send_message_batch(self, *, QueueUrl: str, Entries: list[dict[str, str]]) -> Any:
        assert QueueUrl == QUEUE_URL
        assert 1 <= len(Entries) <= 10
        assert len({entry["Id"] for entry in Entries}) == len(Entries)
        successful, failed = [], []
        with self._lock:
            self.calls.append(Entries)
            for entry in Entries:
                nid = json.loads(entry["MessageBody"])["notification_id"]
                refused = self._failures.get(nid, 0)
                if nid in self.failing and (self.fail_times < 0 or refused < self.fail_times):
                    self._failures[nid] = refused + 1
                    failed.append(
                        {"Id": entry["Id"], "SenderFault": False, "Code": "InternalError"}
                    )
                else:
                    self.queued.append(nid)
                    successful.append({"Id": entry["Id"], "MessageId": f"m-{nid}"})
        return (
            {"Successful": successful, "Failed": failed} if failed else {"Successful": successful}
        )


def messages(count: int) -> list[NotificationMessage]:
    facts = BreachFacts(
        rule="dossiers_overdue",
        variant="default",
        unit_code="942",
        subject="942",
        day=date(2023, 11, 6),
        value=4,
        threshold=2,
    )
    return [
        NotificationMessage(
            notification_id=f"dossiers_overdue#942#2023-11-06#sms#{n:04d}",
            breach=facts,
            recipient_unit="942",
            contact_id=f"{n:016x}",
            channel="sms",
        )
        for n in range(count)
    ]


def test_messages_go_out_ten_to_a_batch() -> None:
    # Given 25 notifications
    sqs = FakeSqs()
    queue = NotificationQueue(sqs, QUEUE_URL, backoff=0)
    notes = messages(25)
    # When they are queued
    queued = queue.send(notes)
    # Then three batch calls (10, 10, 5) carry each of them exactly once
    assert queued == 25
    assert sorted(len(call) for call in sqs.calls) == [5, 10, 10]
    assert sorted(sqs.queued) == sorted(n.notification_id for n in notes)
    # and each body reads back as the message it was made from
    bodies = [entry["MessageBody"] for call in sqs.calls for entry in call]
    assert {NotificationMessage.model_validate_json(body) for body in bodies} == set(notes)


def test_nothing_to_queue_makes_no_call() -> None:
    sqs = FakeSqs()
    assert NotificationQueue(sqs, QUEUE_URL, backoff=0).send([]) == 0
    assert sqs.calls == []


def test_entries_reported_failed_are_sent_again_not_dropped() -> None:
    # Given SQS refuses two entries of a batch on the first call, then accepts them
    notes = messages(10)
    flaky = {notes[2].notification_id, notes[5].notification_id}
    sqs = FakeSqs(failing=flaky, fail_times=1)
    # When the batch is queued
    queued = NotificationQueue(sqs, QUEUE_URL, backoff=0).send(notes)
    # Then the second call carries only the two refused entries, and all ten got in once
    assert queued == 10
    assert [len(call) for call in sqs.calls] == [10, 2]
    assert sorted(sqs.queued) == sorted(n.notification_id for n in notes)


def test_refused_entries_of_concurrent_batches_are_all_retried() -> None:
    # Given one refused entry in each of three batches, refused twice before getting in
    notes = messages(25)
    flaky = {notes[0].notification_id, notes[13].notification_id, notes[24].notification_id}
    sqs = FakeSqs(failing=flaky, fail_times=2)
    # When the 25 are queued
    queued = NotificationQueue(sqs, QUEUE_URL, backoff=0).send(notes)
    # Then every notification is in the queue exactly once
    assert queued == 25
    assert sorted(sqs.queued) == sorted(n.notification_id for n in notes)
    assert len(sqs.calls) == 3 + 2 * 3


def test_an_entry_that_never_gets_in_fails_the_send_naming_the_count() -> None:
    # Given SQS always refuses one notification
    notes = messages(10)
    sqs = FakeSqs(failing={notes[3].notification_id}, fail_times=-1)
    queue = NotificationQueue(sqs, QUEUE_URL, attempts=3, backoff=0)
    # When the batch is queued
    with pytest.raises(QueueError) as error:
        queue.send(notes)
    # Then the error says how many were not queued, after the attempts were spent
    assert str(error.value) == "1 of 10 notifications could not be queued after 3 attempts"
    assert [len(call) for call in sqs.calls] == [10, 1, 1]


def test_a_queue_without_url_is_refused_at_once() -> None:
    with pytest.raises(QueueError, match="NOTIFICATION_QUEUE_URL"):
        NotificationQueue(FakeSqs(), "")
