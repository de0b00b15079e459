"""The directory in DynamoDB: units and their leader representatives, one item per unit."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from ioc_alerts.adapters.models import ContactAttribute, UnitItem
from ioc_alerts.directory import Contact, Directory, Level, Unit, clean_text
from ioc_alerts.problems import InputError

SCAN_SEGMENTS = 4


def unit_of(item: UnitItem) -> Unit:
    try:
        level = Level(item.level)
    except ValueError as exc:
        raise InputError(
            f"directory table: unit {item.code!r} has bad level {item.level!r}"
        ) from exc
    # Names reach texts and e-mails: fold line breaks even if someone edited the table by hand.
    contacts = tuple(
        Contact(clean_text(c.name), c.phone, c.email, clean_text(c.title) if c.title else None)
        for c in item.contacts
    )
    short_name = clean_text(item.short_name) if item.short_name else None
    return Unit(item.code, clean_text(item.name), level, item.parent, short_name, contacts)


def item_of(unit: Unit, now: datetime) -> UnitItem:
    return UnitItem(
        unit.code,
        name=unit.name,
        short_name=unit.short_name,
        level=unit.level.value,
        parent=unit.parent,
        contacts=[
            ContactAttribute(
                contact_id=c.contact_id, name=c.name, title=c.title, phone=c.phone, email=c.email
            )
            for c in unit.contacts
        ],
        updated_at=now,
    )


@dataclass
class DirectoryChanges:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)  # in the table, not in the file
    removed: list[str] = field(default_factory=list)


class DirectoryTable:
    def units(self) -> Iterator[Unit]:
        """Every unit, read with a parallel scan (the table can hold tens of thousands)."""
        with ThreadPoolExecutor(SCAN_SEGMENTS) as pool:
            segments = pool.map(
                lambda segment: [
                    unit_of(item)
                    for item in UnitItem.scan(segment=segment, total_segments=SCAN_SEGMENTS)
                ],
                range(SCAN_SEGMENTS),
            )
            for units in segments:
                yield from units

    def read(self) -> Directory:
        return Directory.build(self.units(), source=f"directory table {UnitItem.Meta.table_name}")

    def get(self, codes: Iterable[str]) -> dict[str, Unit]:
        """Some units by code (one BatchGetItem per 100 codes)."""
        return {item.code: unit_of(item) for item in UnitItem.batch_get(list(set(codes)))}

    def write(
        self, directory: Directory, now: datetime, *, prune: bool = False, dry_run: bool = False
    ) -> DirectoryChanges:
        """Make the table hold the directory; report added, changed, unchanged and absent units.
        Units in the table but not in the directory are deleted only with `prune`."""
        current = {unit.code: unit for unit in self.units()}
        changes = DirectoryChanges()
        saves: list[UnitItem] = []
        for code, unit in directory.items():
            before = current.get(code)
            if before == unit:
                changes.unchanged.append(code)
                continue
            (changes.added if before is None else changes.changed).append(code)
            saves.append(item_of(unit, now))
        changes.absent = sorted(set(current) - set(directory))
        if prune:
            changes.removed = list(changes.absent)
        if dry_run:
            return changes
        with UnitItem.batch_write() as batch:
            for item in saves:
                batch.save(item)
            for code in changes.removed:
                batch.delete(UnitItem(code))
        return changes
