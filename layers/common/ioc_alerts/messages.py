"""The queue message of one notification: the breach's facts and who to send to, by reference.

Phone numbers and e-mail addresses stay out of the message: the sender looks the contact up
in the directory by `recipient_unit` and `contact_id`, so a message sitting in a queue or a
dead-letter queue holds no personal contact data.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from ioc_alerts.notifications import Notification
from ioc_alerts.rules import Breach

VERSION = 1


class BreachFacts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: Literal["portal_stale", "dossiers_overdue"]
    variant: str
    unit_code: str
    subject: str
    day: date
    value: int
    threshold: int
    portal_name: str | None = None
    portal_url: str | None = None
    last_published_on: date | None = None

    @classmethod
    def of(cls, breach: Breach) -> BreachFacts:
        return cls(
            rule=breach.rule,
            variant=breach.variant,
            unit_code=breach.unit_code,
            subject=breach.subject,
            day=breach.day,
            value=breach.value,
            threshold=breach.threshold,
            portal_name=breach.portal_name,
            portal_url=breach.portal_url,
            last_published_on=breach.last_published_on,
        )

    def breach(self) -> Breach:
        return Breach(**self.model_dump())


class NotificationMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    v: Annotated[int, Field(ge=1, le=VERSION)] = VERSION
    notification_id: str
    breach: BreachFacts
    recipient_unit: str
    contact_id: str
    channel: Literal["sms", "email"]
    # The check run's correlation id (scheduler execution id), to join the two in the logs.
    correlation_id: str | None = None

    @classmethod
    def of(cls, note: Notification, correlation_id: str | None = None) -> NotificationMessage:
        recipient = note.routing.recipient_unit
        assert recipient is not None  # notifications exist only for routed breaches
        return cls(
            notification_id=note.notification_id,
            breach=BreachFacts.of(note.breach),
            recipient_unit=recipient.code,
            contact_id=note.contact.contact_id,
            channel=note.channel,
            correlation_id=correlation_id,
        )

    @property
    def breach_id(self) -> str:
        return self.breach.breach().breach_id

    def body(self) -> str:
        return json.dumps(self.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":"))
