"""Breach records in DynamoDB: written once per (rule, subject, Vietnam date)."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from pynamodb.exceptions import PutError

from ioc_alerts.adapters.models import BreachItem

WORKERS = 16


def is_condition_failure(exc: PutError) -> bool:
    return exc.cause_response_code == "ConditionalCheckFailedException"


class BreachStore:
    def create(self, item: BreachItem) -> bool:
        """Write the breach unless it exists; True when this call created it."""
        try:
            item.save(condition=BreachItem.unit.does_not_exist())
        except PutError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def create_all(self, items: Sequence[BreachItem]) -> list[bool]:
        """Conditional writes issued concurrently; the results in the order of `items`."""
        if len(items) <= 1:
            return [self.create(item) for item in items]
        with ThreadPoolExecutor(WORKERS) as pool:
            return list(pool.map(self.create, items))

    def for_unit(self, unit_code: str, since: date | None = None) -> list[BreachItem]:
        condition = BreachItem.key >= since.isoformat() if since else None
        return list(BreachItem.query(unit_code, range_key_condition=condition))

    def for_date(self, day: date) -> list[BreachItem]:
        return list(BreachItem.by_date.query(day.isoformat()))
