"""Breach records: written once per (rule, subject, Vietnam date), whoever writes first,
and read back by unit (the table's key) or by date (the by_date index)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date

import pytest

from ioc_alerts.adapters.breach_store import BreachStore
from ioc_alerts.adapters.models import BreachItem

BreachFactory = Callable[..., BreachItem]

pytestmark = pytest.mark.usefixtures("tables")

MONDAY = date(2023, 11, 6)
TUESDAY = date(2023, 11, 7)


def test_a_breach_is_created_once(make_breach: BreachFactory) -> None:
    store = BreachStore()
    # Given a breach written by a first run
    assert store.create(make_breach("942", MONDAY, run_id="first")) is True
    # When a second run writes the same breach
    created = store.create(make_breach("942", MONDAY, run_id="second", value=9))
    # Then the write is refused and the first record stands unchanged
    assert created is False
    (stored,) = store.for_unit("942")
    assert (stored.run_id, stored.value) == ("first", 3)


def test_create_all_creates_each_breach_once_even_when_listed_twice(
    make_breach: BreachFactory,
) -> None:
    # Given a batch large enough to go out concurrently, with two breaches listed twice
    units = [f"3{n:04d}" for n in range(20)]
    items = [make_breach(unit, MONDAY) for unit in units]
    items += [make_breach(units[3], MONDAY), make_breach(units[7], MONDAY)]
    # When they are all written at once
    created = BreachStore().create_all(items)
    # Then each result belongs to its item, and exactly one write per breach succeeded
    assert len(created) == len(items)
    wins = Counter(item.unit for item, won in zip(items, created, strict=True) if won)
    assert wins == Counter(units)
    assert len(BreachStore().for_date(MONDAY)) == len(units)


def test_create_all_of_nothing_or_one(make_breach: BreachFactory) -> None:
    store = BreachStore()
    assert store.create_all([]) == []
    assert store.create_all([make_breach("942", MONDAY)]) == [True]
    assert store.create_all([make_breach("942", MONDAY)]) == [False]


def test_a_units_history_is_read_by_unit_and_from_a_date(make_breach: BreachFactory) -> None:
    # Given Huyện Châu Thành's breaches on three Mondays and another unit's breach
    store = BreachStore()
    days = [date(2023, 10, 23), date(2023, 10, 30), MONDAY]
    store.create_all([make_breach("942", day) for day in days] + [make_breach("943", MONDAY)])
    # When its history is read, whole or from a date on
    history = store.for_unit("942")
    recent = store.for_unit("942", since=date(2023, 10, 30))
    # Then only its own breaches come back, oldest first
    assert [item.date for item in history] == [day.isoformat() for day in days]
    assert [item.date for item in recent] == ["2023-10-30", "2023-11-06"]
    assert store.for_unit("944") == []


def test_a_days_breaches_are_read_through_the_by_date_index(make_breach: BreachFactory) -> None:
    # Given breaches of two rules on Monday, across units, and one on Tuesday
    store = BreachStore()
    store.create_all(
        [
            make_breach("942", MONDAY),
            make_breach("31570", MONDAY),
            make_breach("STTTT", MONDAY, subject="cong-tinh", rule="portal_stale"),
            make_breach("942", TUESDAY),
        ]
    )
    # When Monday's breaches are read
    monday = store.for_date(MONDAY)
    # Then all of Monday's come back, whole (the index projects every attribute)
    assert sorted((item.unit, item.rule) for item in monday) == [
        ("31570", "dossiers_overdue"),
        ("942", "dossiers_overdue"),
        ("STTTT", "portal_stale"),
    ]
    assert all(item.text and item.expires_at for item in monday)
    assert [item.unit for item in store.for_date(TUESDAY)] == ["942"]
    assert store.for_date(date(2023, 11, 8)) == []
