"""Notifications: one breach x one recipient contact x one channel, and the unroutable rest.

A breach whose routing reaches no contact with an address for the rule's channels is kept
as unroutable, with the reason: it is recorded and reported, never dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ioc_alerts.config import RulesConfig
from ioc_alerts.directory import Contact, Directory
from ioc_alerts.routing import Routing, route
from ioc_alerts.rules import Breach

SMS = "sms"
EMAIL = "email"


@dataclass(frozen=True, slots=True)
class Notification:
    breach: Breach
    routing: Routing
    contact: Contact
    channel: str  # SMS | EMAIL

    @property
    def to(self) -> str:
        address = self.contact.phone if self.channel == SMS else self.contact.email
        assert address is not None  # planned only for contacts with the channel's address
        return address

    @property
    def notification_id(self) -> str:
        """Stable across re-runs of the same day: the idempotency key of the send."""
        return f"{self.breach.breach_id}#{self.channel}#{self.contact.contact_id}"


@dataclass(frozen=True, slots=True)
class RoutedBreach:
    breach: Breach
    routing: Routing
    notifications: tuple[Notification, ...]
    unroutable_reason: str | None  # None when at least one notification goes out


def channels_for(config: RulesConfig, breach: Breach) -> list[str]:
    rule = getattr(config.rules, breach.rule)
    return list(dict.fromkeys(rule.channels))


def plan(breach: Breach, directory: Directory, config: RulesConfig) -> RoutedBreach:
    """Route one breach and fan it out to its recipients' channels."""
    routing = route(directory[breach.unit_code], directory)
    channels = channels_for(config, breach)
    notifications: list[Notification] = []
    addresses: set[tuple[str, str]] = set()
    for contact in routing.contacts:
        for channel in channels:
            address = contact.phone if channel == SMS else contact.email
            # Two leaders sharing an office phone or mailbox get the alert there once.
            if address and (channel, address.lower()) not in addresses:
                addresses.add((channel, address.lower()))
                notifications.append(Notification(breach, routing, contact, channel))
    planned = tuple(notifications)
    return RoutedBreach(breach, routing, planned, _unroutable_reason(routing, planned))


def plan_all(
    breaches: Iterable[Breach], directory: Directory, config: RulesConfig
) -> Iterator[RoutedBreach]:
    for breach in breaches:
        yield plan(breach, directory, config)


def _unroutable_reason(routing: Routing, notifications: tuple[Notification, ...]) -> str | None:
    if notifications:
        return None
    if routing.recipient_unit is None:
        return f"commune {routing.unit.code} has no parent unit in the directory"
    if not routing.contacts:
        return f"unit {routing.recipient_unit.code} has no leader contact in the directory"
    return (
        f"no contact of unit {routing.recipient_unit.code} has a phone or e-mail "
        "for the rule's channels"
    )
