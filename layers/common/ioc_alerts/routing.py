"""Routing: which unit's leaders receive an alert about a unit, and why."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ioc_alerts.directory import Contact, Level, Unit

OWN_UNIT = "own_unit"
PARENT_OF_COMMUNE = "parent_of_commune"


@dataclass(frozen=True, slots=True)
class Routing:
    unit: Unit  # the unit the alert is about
    recipient_unit: Unit | None  # whose leaders receive it
    contacts: tuple[Contact, ...]
    reason: str  # OWN_UNIT | PARENT_OF_COMMUNE

    @property
    def routable(self) -> bool:
        return bool(self.contacts)


def route(unit: Unit, directory: Mapping[str, Unit]) -> Routing:
    """The notice's routing: a unit's own leaders, except that a commune's alert goes to
    its parent unit's leaders (the district in the three-tier map, the province in the
    two-tier one: whatever the directory holds)."""
    if unit.level is Level.COMMUNE:
        parent = directory.get(unit.parent) if unit.parent else None
        return Routing(unit, parent, parent.contacts if parent else (), PARENT_OF_COMMUNE)
    return Routing(unit, unit, unit.contacts, OWN_UNIT)
