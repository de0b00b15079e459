"""Check runs in DynamoDB: one run per (rule, Vietnam date) completes, whatever the triggers.

A run claims its (rule, date) with a conditional write and a lease. A second trigger while it
runs finds the claim held and stops; once it completed, later triggers stop too. A run that
failed, or whose lease ran out, can be claimed again, and so can a claim left by an earlier
attempt of the same invocation: Lambda retries an asynchronous invocation that crashed (out
of memory, timed out) under the same request id, and only after that attempt has ended. The
retry then re-sends what the failed attempt may not have queued (the sender's delivery
records keep a notification from going out twice).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pynamodb.exceptions import PutError, UpdateError

from ioc_alerts.adapters.breach_store import is_condition_failure
from ioc_alerts.adapters.models import RunItem

RUNNING = "running"
COMPLETED = "completed"
FAILED = "failed"


@dataclass(frozen=True)
class Claim:
    claimed: bool
    status: str  # RUNNING (ours, or someone else's) | COMPLETED (earlier run)
    run_id: str  # the run that holds the claim


class RunLog:
    def __init__(self, retention_days: int) -> None:
        self.retention = timedelta(days=retention_days)

    def status(self, rule: str, day: date) -> str | None:
        """The day's run status (None before any run), read consistently."""
        try:
            return str(RunItem.get(rule, day.isoformat(), consistent_read=True).status)
        except RunItem.DoesNotExist:
            return None

    def claim(
        self,
        rule: str,
        day: date,
        run_id: str,
        now: datetime,
        lease: timedelta,
        correlation_id: str | None = None,
        *,
        invocation_id: str | None = None,
    ) -> Claim:
        item = RunItem(
            rule,
            day.isoformat(),
            run_id=run_id,
            status=RUNNING,
            lease_until=now + lease,
            started_at=now,
            correlation_id=correlation_id,
            invocation_id=invocation_id,
            expires_at=now + self.retention,
        )
        condition = (
            RunItem.rule.does_not_exist()
            | (RunItem.status == FAILED)
            | ((RunItem.status == RUNNING) & (RunItem.lease_until < now))
        )
        if invocation_id:
            condition |= (RunItem.status == RUNNING) & (RunItem.invocation_id == invocation_id)
        try:
            item.save(condition=condition)
        except PutError as exc:
            if not is_condition_failure(exc):
                raise
            held = RunItem.get(rule, day.isoformat(), consistent_read=True)
            return Claim(False, held.status, held.run_id)
        return Claim(True, RUNNING, run_id)

    def finish(
        self,
        rule: str,
        day: date,
        run_id: str,
        now: datetime,
        *,
        status: str,
        records: int = 0,
        breaches: int = 0,
        notifications: int = 0,
        error: str | None = None,
    ) -> bool:
        """Mark our run completed or failed, if we still hold the claim; False if another
        run took it over meanwhile (our lease ran out), which then finishes the day."""
        try:
            RunItem(rule, day.isoformat()).update(
                actions=[
                    RunItem.status.set(status),
                    RunItem.finished_at.set(now),
                    RunItem.records.set(records),
                    RunItem.breaches.set(breaches),
                    RunItem.notifications.set(notifications),
                    RunItem.error.set(error) if error else RunItem.error.remove(),
                ],
                condition=RunItem.run_id == run_id,
            )
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            return False
        return True
