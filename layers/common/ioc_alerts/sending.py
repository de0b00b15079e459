"""Delivering one queued notification: look up, claim, render, send, record.

The send function's handler runs this for every SQS record of a batch, in parallel. Outcomes:
sent, failed (a permanent refusal, with the reason), opted out, dry run, or duplicate (an
earlier delivery already did it). A transient error is recorded as retrying and raised, so
that this one record is reported failed and SQS delivers it again (then to the DLQ).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from ioc_alerts.adapters.channels import OptedOut, PermanentDeliveryError
from ioc_alerts.adapters.delivery_store import (
    DEAD_LETTER,
    DONE,
    DRY_RUN,
    FAILED,
    OPTED_OUT,
    RETRYING,
    SENT,
    Claim,
)
from ioc_alerts.directory import Contact, Unit
from ioc_alerts.messages import NotificationMessage
from ioc_alerts.notifications import SMS
from ioc_alerts.observability import logger, mask_email, mask_phone
from ioc_alerts.render import Email, Renderer
from ioc_alerts.routing import Routing, route

DUPLICATE = "duplicate"


class DeliveryInProgress(Exception):
    """Another delivery of the same notification holds the claim; SQS will retry this one."""


class DeliveryPort(Protocol):
    def claim(
        self, message: NotificationMessage, to: str | None, now: datetime, lease: timedelta
    ) -> Claim: ...

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
    ) -> bool: ...


class SmsPort(Protocol):
    def send(self, phone: str, text: str) -> str: ...


class EmailPort(Protocol):
    def send(self, to: str, email: Email, tags: dict[str, str]) -> str: ...


@dataclass
class SendDeps:
    renderer: Renderer
    deliveries: DeliveryPort
    sms: SmsPort
    email: EmailPort
    clock: Callable[[], datetime]
    lease: timedelta
    dry_run: bool = False
    max_receive_count: int = 3


@dataclass(frozen=True)
class Outcome:
    notification_id: str
    channel: str
    status: str
    segments: int | None = None
    reason: str | None = None


def units_needed(messages: Iterable[NotificationMessage]) -> set[str]:
    """The units a batch needs from the directory: those alerted about and the recipients."""
    codes: set[str] = set()
    for message in messages:
        codes.update((message.breach.unit_code, message.recipient_unit))
    return codes


def deliver(
    message: NotificationMessage,
    units: Mapping[str, Unit],
    receive_count: int,
    deps: SendDeps,
) -> Outcome:
    contact, routing, problem = _recipient(message, units)
    address = _address(contact, message.channel) if contact else None
    claim = deps.deliveries.claim(message, address, deps.clock(), deps.lease)
    if not claim.claimed:
        if claim.status in DONE:
            logger.info("duplicate delivery: already done", extra={"status": claim.status})
            return Outcome(message.notification_id, message.channel, DUPLICATE)
        raise DeliveryInProgress(f"notification is {claim.status} in another delivery")
    record = _Recorder(deps, message, claim.attempt, address)
    if problem or contact is None or routing is None or address is None:
        return record(FAILED, reason=problem or f"the contact has no {message.channel} address")
    breach = message.breach.breach()
    email: Email | None = None
    if message.channel == SMS:
        sms = deps.renderer.sms(breach, routing)
        text, encoding, segments = sms.text, sms.encoding, sms.segments
    else:
        email = deps.renderer.email(breach, routing, contact)
        text, encoding, segments = email.subject, None, None
    if deps.dry_run:
        return record(DRY_RUN, text=text, encoding=encoding, segments=segments)
    try:
        if email is None:
            provider_id = deps.sms.send(address, text)
        else:
            provider_id = deps.email.send(address, email, {"rule": breach.rule})
    except OptedOut as exc:
        return record(OPTED_OUT, reason=str(exc))
    except PermanentDeliveryError as exc:
        return record(FAILED, reason=str(exc), text=text)
    except Exception as exc:
        last = receive_count >= deps.max_receive_count
        record(DEAD_LETTER if last else RETRYING, reason=f"{type(exc).__name__}: {exc}"[:500])
        logger.warning(
            "send failed on the last attempt: the message goes to the DLQ"
            if last
            else "transient send error: SQS will deliver it again",
            extra={"error": type(exc).__name__, "receive_count": receive_count},
        )
        raise
    return record(
        SENT, provider_message_id=provider_id, text=text, encoding=encoding, segments=segments
    )


def _recipient(
    message: NotificationMessage, units: Mapping[str, Unit]
) -> tuple[Contact | None, Routing | None, str | None]:
    """The contact and routing the message names, or why they cannot be found any more."""
    unit = units.get(message.breach.unit_code)
    if unit is None:
        return None, None, f"unit {message.breach.unit_code} is no longer in the directory"
    routing = route(unit, units)
    recipient = routing.recipient_unit
    if recipient is None or recipient.code != message.recipient_unit:
        return (
            None,
            None,
            (
                f"unit {unit.code} no longer routes to {message.recipient_unit} "
                "(the directory changed since the check)"
            ),
        )
    for contact in recipient.contacts:
        if contact.contact_id == message.contact_id:
            return contact, routing, None
    return None, routing, f"the contact is no longer listed for unit {recipient.code}"


def _address(contact: Contact, channel: str) -> str | None:
    return contact.phone if channel == SMS else contact.email


class _Recorder:
    """Records the outcome of one claimed delivery and logs it (contacts masked)."""

    def __init__(
        self, deps: SendDeps, message: NotificationMessage, attempt: int, to: str | None
    ) -> None:
        self.deps, self.message, self.attempt, self.to = deps, message, attempt, to

    def __call__(
        self,
        status: str,
        *,
        provider_message_id: str | None = None,
        text: str | None = None,
        encoding: str | None = None,
        segments: int | None = None,
        reason: str | None = None,
    ) -> Outcome:
        message = self.message
        recorded = self.deps.deliveries.finish(
            message.notification_id,
            self.deps.clock(),
            status,
            provider_message_id=provider_message_id,
            text=text,
            encoding=encoding,
            segments=segments,
            reason=reason,
            attempt=self.attempt,
        )
        masked = mask_phone(self.to) if message.channel == SMS else mask_email(self.to)
        log = logger.info if status in (SENT, DRY_RUN) else logger.warning
        log(
            "delivery",
            extra={
                "status": status,
                "to": masked,
                "segments": segments,
                "reason": reason,
                "attempt": self.attempt,
                "breach_id": message.breach_id,
                "recorded": recorded,
            },
        )
        return Outcome(message.notification_id, message.channel, status, segments, reason)


__all__ = ["DUPLICATE", "RETRYING", "DeliveryInProgress", "Outcome", "SendDeps", "deliver"]
