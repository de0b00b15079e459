"""Check runs: one run per (rule, Vietnam date) completes. A claim is refused while another
run holds a valid lease or once the day completed; a failed run or an expired lease can be
taken over; only the run holding the claim can finish it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from ioc_alerts.adapters.models import RunItem
from ioc_alerts.adapters.run_log import COMPLETED, FAILED, RUNNING, Claim, RunLog

pytestmark = pytest.mark.usefixtures("tables")

RULE = "portal_stale"
MONDAY = date(2023, 11, 6)
NOW = datetime(2023, 11, 6, 1, 0, tzinfo=UTC)  # 08:00 in Vietnam
LEASE = timedelta(minutes=6)


@pytest.fixture
def runs() -> RunLog:
    return RunLog(retention_days=400)


def stored() -> RunItem:
    return RunItem.get(RULE, MONDAY.isoformat(), consistent_read=True)


def test_the_first_run_of_a_day_claims_it(runs: RunLog) -> None:
    # Given no run yet for Monday
    assert runs.status(RULE, MONDAY) is None
    # When a run claims it
    claim = runs.claim(RULE, MONDAY, "run-a", NOW, LEASE, correlation_id="exec-1")
    # Then it holds the claim, with a lease and an expiry for TTL
    assert claim == Claim(True, RUNNING, "run-a")
    item = stored()
    assert (item.run_id, item.status, item.correlation_id) == ("run-a", RUNNING, "exec-1")
    assert item.lease_until == NOW + LEASE
    assert item.expires_at == NOW + timedelta(days=400)
    assert runs.status(RULE, MONDAY) == RUNNING


def test_a_second_run_is_refused_while_the_first_holds_a_valid_lease(runs: RunLog) -> None:
    # Given a run that claimed Monday
    runs.claim(RULE, MONDAY, "run-a", NOW, LEASE)
    # When a second trigger claims it before the lease runs out
    claim = runs.claim(RULE, MONDAY, "run-b", NOW + LEASE - timedelta(seconds=1), LEASE)
    # Then it is refused and told who holds the day
    assert claim == Claim(False, RUNNING, "run-a")
    assert stored().run_id == "run-a"


def test_a_completed_day_refuses_every_later_claim(runs: RunLog) -> None:
    # Given Monday's run completed
    runs.claim(RULE, MONDAY, "run-a", NOW, LEASE)
    finished = NOW + timedelta(seconds=5)
    runs.finish(
        RULE, MONDAY, "run-a", finished, status=COMPLETED, records=31, breaches=6, notifications=20
    )
    # When later triggers claim it, even long after the lease
    soon = runs.claim(RULE, MONDAY, "run-b", NOW + timedelta(seconds=10), LEASE)
    late = runs.claim(RULE, MONDAY, "run-c", NOW + timedelta(days=1), LEASE)
    # Then they are refused with status completed, and the record keeps the run's figures
    assert soon == late == Claim(False, COMPLETED, "run-a")
    item = stored()
    figures = (item.status, item.records, item.breaches, item.notifications)
    assert figures == (COMPLETED, 31, 6, 20)
    assert item.finished_at == finished
    assert item.error is None


def test_a_failed_run_can_be_claimed_again(runs: RunLog) -> None:
    # Given a run that failed while queueing, well within its lease
    runs.claim(RULE, MONDAY, "run-a", NOW, LEASE)
    runs.finish(RULE, MONDAY, "run-a", NOW, status=FAILED, error="QueueError: 3 of 10 ...")
    assert stored().error == "QueueError: 3 of 10 ..."
    # When the retry claims the day
    claim = runs.claim(RULE, MONDAY, "run-b", NOW + timedelta(seconds=30), LEASE)
    # Then it holds it, and the retry's own finish clears the earlier error
    assert claim == Claim(True, RUNNING, "run-b")
    runs.finish(RULE, MONDAY, "run-b", NOW + timedelta(seconds=40), status=COMPLETED)
    item = stored()
    assert (item.run_id, item.status, item.error) == ("run-b", COMPLETED, None)


def test_an_expired_lease_can_be_taken_over(runs: RunLog) -> None:
    # Given a run that claimed Monday and died without finishing (a crash or a timeout)
    runs.claim(RULE, MONDAY, "run-a", NOW, LEASE)
    # When a retry claims the day after the lease ran out
    claim = runs.claim(RULE, MONDAY, "run-b", NOW + LEASE + timedelta(seconds=1), LEASE)
    # Then the retry holds it
    assert claim == Claim(True, RUNNING, "run-b")
    assert stored().run_id == "run-b"


def test_only_the_holder_can_finish_the_run(runs: RunLog) -> None:
    # Given run A's lease ran out and run B took the day over
    runs.claim(RULE, MONDAY, "run-a", NOW, LEASE)
    runs.claim(RULE, MONDAY, "run-b", NOW + 2 * LEASE, LEASE)
    # When the late run A tries to mark the day completed
    assert runs.finish(RULE, MONDAY, "run-a", NOW + 2 * LEASE, status=COMPLETED) is False
    # Then B's claim stands, still running
    item = stored()
    assert (item.run_id, item.status, item.finished_at) == ("run-b", RUNNING, None)


def test_finishing_a_day_nobody_claimed_is_refused(runs: RunLog) -> None:
    assert runs.finish(RULE, MONDAY, "run-a", NOW, status=COMPLETED) is False
    assert runs.status(RULE, MONDAY) is None


def test_a_retry_of_the_same_invocation_takes_its_claim_over_at_once(runs: RunLog) -> None:
    # Given an invocation that claimed the day and crashed (out of memory) well inside its lease
    runs.claim(RULE, MONDAY, "run-a", NOW, LEASE, invocation_id="req-1")
    # When Lambda retries that invocation a minute later (same request id)
    retry = runs.claim(
        RULE, MONDAY, "run-b", NOW + timedelta(minutes=1), LEASE, invocation_id="req-1"
    )
    # Then the retry holds the day, while a different trigger is still kept out
    assert retry == Claim(True, RUNNING, "run-b")
    other = runs.claim(
        RULE, MONDAY, "run-c", NOW + timedelta(minutes=1), LEASE, invocation_id="req-2"
    )
    assert other == Claim(False, RUNNING, "run-b")
