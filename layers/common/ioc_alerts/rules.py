"""The alert rules, pure: records + directory + a Vietnam date -> breaches and data problems.

`portal_stale`: with P the Vietnam date of the portal's latest post and D the evaluation
date, the whole days without a post are N = (D - P) - 1; the portal breaches when
N >= threshold (3 for the provincial portal, 5 for a component portal), so the first alert
comes on D = P + threshold + 1 and N grows by one a day until a new post.

`dossiers_overdue`: a unit breaches when its current overdue count is >= threshold (2), on
the rule's scheduled weekdays (Mondays).

A check accumulates page after page of records, so the caller can stream the API.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from ioc_alerts.config import DOSSIERS_OVERDUE, PORTAL_STALE, RulesConfig
from ioc_alerts.directory import Directory, Unit
from ioc_alerts.problems import Problem
from ioc_alerts.records import DossierRecord, PortalRecord, parse_items
from ioc_alerts.vietnam_time import vietnam_date, weekday_code


@dataclass(frozen=True, slots=True)
class Breach:
    """A unit (or its portal) past a rule's threshold on one Vietnam date."""

    rule: str  # PORTAL_STALE | DOSSIERS_OVERDUE
    variant: str  # "provincial" | "component" for portals, "default" for dossiers
    unit_code: str  # the unit the alert is about
    subject: str  # what breached: the portal id, or the unit code for dossiers
    day: date
    value: int  # N days without a post, or the overdue count
    threshold: int
    portal_name: str | None = None
    portal_url: str | None = None
    last_published_on: date | None = None

    @property
    def breach_id(self) -> str:
        return f"{self.rule}#{self.subject}#{self.day.isoformat()}"


def rule_scheduled(config: RulesConfig, rule: str, day: date) -> bool:
    """Whether the rule is on and runs on this weekday (dossiers: Mondays only)."""
    settings = getattr(config.rules, rule)
    return bool(settings.enabled) and settings.schedule.includes(weekday_code(day))


def days_without_post(last_post: date, day: date) -> int:
    """Whole Vietnam days with no post between the latest post's day and `day`."""
    return (day - last_post).days - 1


class Check:
    """One rule's evaluation on one day, fed record pages with `add`."""

    rule: str

    def __init__(self, day: date, directory: Directory, config: RulesConfig) -> None:
        self.day = day
        self.directory = directory
        self.config = config
        self.breaches: list[Breach] = []
        self.problems: list[Problem] = []
        self.records = 0  # valid records checked
        self.invalid = 0  # records that failed validation (in problems, skipped)
        self.matched = 0  # valid records of a unit in the directory
        self._seen: set[str] = set()

    model: ClassVar[type[PortalRecord] | type[DossierRecord]]

    def add(self, records: Iterable[Any], where: str) -> None:
        raise NotImplementedError

    def add_page(self, items: Sequence[Any], where: str, start: int = 0) -> None:
        """Validate a page of raw items (bad ones become problems) and check the rest."""
        records, bad = parse_items(items, self.model, where, start)
        self.invalid += len(bad)
        self.problems.extend(bad)
        self.add(records, where)

    @property
    def scheduled(self) -> bool:
        return rule_scheduled(self.config, self.rule, self.day)

    def _known(self, key_field: str, key: str, unit_code: str, where: str) -> Unit | None:
        """The record's unit, or None after reporting a duplicate or an unknown unit."""
        if key in self._seen:
            self.problems.append(
                Problem(where, key_field, "duplicate record: the first one counts")
            )
            return None
        self._seen.add(key)
        unit = self.directory.get(unit_code)
        if unit is not None:
            self.matched += 1
        else:
            self.problems.append(
                Problem(where, "unit_code", f"unknown unit {unit_code!r}: not in the directory")
            )
        return unit


class PortalStaleCheck(Check):
    rule = PORTAL_STALE
    model = PortalRecord

    def add(self, records: Iterable[PortalRecord], where: str = "portals") -> None:
        settings = self.config.rules.portal_stale
        for record in records:
            self.records += 1
            here = f"{where} portal {record.portal_id!r}"
            if self._known("portal_id", record.portal_id, record.unit_code, here) is None:
                continue
            if record.last_published_at is None:
                self.problems.append(
                    Problem(
                        here,
                        "last_published_at",
                        "no post date known (null): the days without a post cannot be "
                        "counted, so no alert is sent; check the portal's feed in the IOC",
                        "warning",
                    )
                )
                continue
            last_post = vietnam_date(record.last_published_at)
            if last_post > self.day:
                self.problems.append(
                    Problem(
                        here,
                        "last_published_at",
                        f"{record.last_published_at.isoformat()} is after "
                        f"{self.day.isoformat()}: counted as posted on that day",
                        "warning",
                    )
                )
                last_post = self.day
            variant = settings.variant(record.kind)
            days = days_without_post(last_post, self.day)
            if days >= variant.threshold:
                self.breaches.append(
                    Breach(
                        rule=PORTAL_STALE,
                        variant=record.kind,
                        unit_code=record.unit_code,
                        subject=record.portal_id,
                        day=self.day,
                        value=days,
                        threshold=variant.threshold,
                        portal_name=record.name,
                        portal_url=record.url,
                        last_published_on=last_post,
                    )
                )


class DossiersOverdueCheck(Check):
    rule = DOSSIERS_OVERDUE
    model = DossierRecord

    def add(self, records: Iterable[DossierRecord], where: str = "dossiers") -> None:
        threshold = self.config.rules.dossiers_overdue.threshold
        for record in records:
            self.records += 1
            here = f"{where} unit {record.unit_code!r}"
            if self._known("unit_code", record.unit_code, record.unit_code, here) is None:
                continue
            if record.overdue_count >= threshold:
                self.breaches.append(
                    Breach(
                        rule=DOSSIERS_OVERDUE,
                        variant="default",
                        unit_code=record.unit_code,
                        subject=record.unit_code,
                        day=self.day,
                        value=record.overdue_count,
                        threshold=threshold,
                    )
                )
