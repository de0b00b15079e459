"""The notification queue (SQS): one message per notification, sent in batches of ten.

Batches go out concurrently; entries a batch call reports as failed are sent again with
backoff, never dropped. If some still fail after the last attempt, QueueError says how many,
and the check run fails (and is retried) rather than pass with missing notifications.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ioc_alerts.messages import NotificationMessage

BATCH = 10
WORKERS = 8


class QueueError(Exception):
    pass


class NotificationQueue:
    def __init__(
        self, sqs: Any, queue_url: str, *, attempts: int = 5, backoff: float = 0.2
    ) -> None:
        if not queue_url:
            raise QueueError("no queue URL configured (NOTIFICATION_QUEUE_URL)")
        self._sqs = sqs
        self.queue_url = queue_url
        self.attempts = attempts
        self.backoff = backoff

    def send(self, messages: Sequence[NotificationMessage]) -> int:
        """Queue every message; returns how many were queued."""
        batches = [messages[i : i + BATCH] for i in range(0, len(messages), BATCH)]
        if len(batches) <= 1:
            return sum(map(self._send_batch, batches))
        with ThreadPoolExecutor(WORKERS) as pool:
            return sum(pool.map(self._send_batch, batches))

    def _send_batch(self, batch: Sequence[NotificationMessage]) -> int:
        pending = {str(i): message for i, message in enumerate(batch)}
        for attempt in range(self.attempts):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            response = self._sqs.send_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": key, "MessageBody": m.body()} for key, m in pending.items()],
            )
            failed = {entry["Id"] for entry in response.get("Failed", [])}
            pending = {key: m for key, m in pending.items() if key in failed}
            if not pending:
                return len(batch)
        raise QueueError(
            f"{len(pending)} of {len(batch)} notifications could not be queued after "
            f"{self.attempts} attempts"
        )
