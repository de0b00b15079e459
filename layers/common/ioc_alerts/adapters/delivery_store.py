"""Delivery records in DynamoDB, one per notification, which also guard the send.

A sender claims the notification with a conditional update (status `sending` and a lease)
before it calls SNS or SES. A duplicate delivery of the same SQS message finds the claim held
(and is retried later by SQS) or the notification already done (and stops). A claim whose
lease ran out (the sender crashed before it could record the outcome) can be taken again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action

from ioc_alerts.adapters.models import DeliveryItem
from ioc_alerts.messages import NotificationMessage

SENDING = "sending"
SENT = "sent"
FAILED = "failed"
OPTED_OUT = "opted_out"
DRY_RUN = "dry_run"
RETRYING = "retrying"
DEAD_LETTER = "dead_letter"
# Outcomes that end a notification. A dry run does not: a later real delivery still sends.
DONE = frozenset({SENT, FAILED, OPTED_OUT})


@dataclass(frozen=True)
class Claim:
    claimed: bool
    status: str  # SENDING when ours; otherwise the status that kept us out
    attempt: int


class DeliveryStore:
    def __init__(self, retention: timedelta) -> None:
        self.retention = retention

    def claim(
        self, message: NotificationMessage, to: str | None, now: datetime, lease: timedelta
    ) -> Claim:
        item = DeliveryItem(message.notification_id)
        actions: list[Action] = [
            DeliveryItem.status.set(SENDING),
            DeliveryItem.lease_until.set(now + lease),
            DeliveryItem.attempts.add(1),
            DeliveryItem.updated_at.set(now),
            DeliveryItem.created_at.set(DeliveryItem.created_at | now),
            DeliveryItem.breach_id.set(message.breach_id),
            DeliveryItem.rule.set(message.breach.rule),
            DeliveryItem.unit.set(message.breach.unit_code),
            DeliveryItem.recipient_unit.set(message.recipient_unit),
            DeliveryItem.contact_id.set(message.contact_id),
            DeliveryItem.channel.set(message.channel),
            DeliveryItem.expires_at.set(now + self.retention),
        ]
        if to:
            actions.append(DeliveryItem.to.set(to))
        condition = (
            DeliveryItem.notification_id.does_not_exist()
            | DeliveryItem.status.is_in(RETRYING, DEAD_LETTER, DRY_RUN)
            | ((DeliveryItem.status == SENDING) & (DeliveryItem.lease_until < now))
        )
        try:
            item.update(actions=actions, condition=condition)
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            held = DeliveryItem.get(message.notification_id, consistent_read=True)
            return Claim(False, str(held.status), int(held.attempts))
        return Claim(True, SENDING, int(item.attempts))

    def finish(
        self,
        notification_id: str,
        now: datetime,
        status: str,
        *,
        provider_message_id: str | None = None,
        text: str | None = None,
        encoding: str | None = None,
        segments: int | None = None,
        reason: str | None = None,
        attempt: int | None = None,
    ) -> bool:
        """Record the outcome of our claim (sent, failed, opted out, dry run, retrying). With
        `attempt`, only while the claim is still that attempt's: False if a later delivery
        took it over after our lease ran out (its outcome then stands)."""
        actions: list[Action] = [DeliveryItem.status.set(status), DeliveryItem.updated_at.set(now)]
        if status == SENT:
            actions.append(DeliveryItem.sent_at.set(now))
        if provider_message_id is not None:
            actions.append(DeliveryItem.provider_message_id.set(provider_message_id))
        if text is not None:
            actions.append(DeliveryItem.text.set(text))
        if encoding is not None:
            actions.append(DeliveryItem.encoding.set(encoding))
        if segments is not None:
            actions.append(DeliveryItem.segments.set(segments))
        if reason is not None:
            actions.append(DeliveryItem.reason.set(reason))
        condition = DeliveryItem.status == SENDING
        if attempt is not None:
            condition &= DeliveryItem.attempts == attempt
        try:
            DeliveryItem(notification_id).update(actions=actions, condition=condition)
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def for_breach(self, breach_id: str) -> list[DeliveryItem]:
        return list(DeliveryItem.by_breach.query(breach_id))

    def for_recipient(self, to: str) -> list[DeliveryItem]:
        return list(DeliveryItem.by_recipient.query(to))
