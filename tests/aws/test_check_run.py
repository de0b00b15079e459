"""One check run with in-memory stores and queue (no AWS): pages -> rule -> routing ->
claim -> breach records -> queue. Nothing is written or queued unless every page was read
and checked; a failure while writing or queueing marks the run failed for a retry."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ioc_alerts import check_run
from ioc_alerts.adapters.metrics_api import MetricsApiError, Page
from ioc_alerts.adapters.models import BreachItem
from ioc_alerts.adapters.notification_queue import QueueError
from ioc_alerts.adapters.run_log import COMPLETED, FAILED, RUNNING, Claim
from ioc_alerts.check_run import CheckDeps, CheckRequest, run_check
from ioc_alerts.config import DOSSIERS_OVERDUE, PORTAL_STALE, RulesConfig
from ioc_alerts.directory import Directory
from ioc_alerts.messages import NotificationMessage
from ioc_alerts.problems import InputError
from ioc_alerts.render import Renderer

SAMPLES = Path(__file__).resolve().parents[2] / "layers/common/ioc_alerts/samples/soctrang-2023"
MONDAY = date(2023, 11, 6)
TUESDAY = date(2023, 11, 7)
NOW = datetime(2023, 11, 6, 1, 0, tzinfo=UTC)
LEASE = timedelta(minutes=6)
# The sample's stale portals on Monday 6 November 2023: five routed to two leaders on two
# channels each (20 notifications), and the industrial zones board, which has no contact.
STALE_PORTALS = {"cong-tinh", "cong-946", "cong-sgtvt", "cong-sxd", "cong-skhcn", "cong-bqlkcn"}


@dataclass
class Run:
    run_id: str
    status: str
    lease_until: datetime
    finished: dict[str, Any] = field(default_factory=dict)
    invocation_id: str | None = None


class FakeRuns:
    """The run log's claim rules, in memory."""

    def __init__(self) -> None:
        self.runs: dict[tuple[str, date], Run] = {}

    def status(self, rule: str, day: date) -> str | None:
        run = self.runs.get((rule, day))
        return run.status if run else None

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
        held = self.runs.get((rule, day))
        if held and not (
            held.status == FAILED
            or (held.status == RUNNING and held.lease_until < now)
            or (held.status == RUNNING and invocation_id and held.invocation_id == invocation_id)
        ):
            return Claim(False, held.status, held.run_id)
        self.runs[(rule, day)] = Run(run_id, RUNNING, now + lease, invocation_id=invocation_id)
        return Claim(True, RUNNING, run_id)

    def finish(
        self, rule: str, day: date, run_id: str, now: datetime, *, status: str, **figures: Any
    ) -> bool:
        run = self.runs[(rule, day)]
        if run.run_id != run_id:
            return False
        run.status, run.finished = status, figures
        return True


class FakeBreaches:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], BreachItem] = {}

    def create_all(self, items: list[BreachItem]) -> list[bool]:
        created = []
        for item in items:
            key = (item.unit, item.key)
            created.append(key not in self.items)
            self.items.setdefault(key, item)
        return created


class FakeQueue:
    def __init__(self, error: Exception | None = None) -> None:
        self.sent: list[NotificationMessage] = []
        self.error = error

    def send(self, messages: list[NotificationMessage]) -> int:
        if self.error:
            raise self.error
        self.sent.extend(messages)
        return len(messages)


@dataclass
class World:
    runs: FakeRuns = field(default_factory=FakeRuns)
    breaches: FakeBreaches = field(default_factory=FakeBreaches)
    queue: FakeQueue = field(default_factory=FakeQueue)

    @property
    def untouched(self) -> bool:
        return not (self.runs.runs or self.breaches.items or self.queue.sent)


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def deps(world: World, sample_directory: Directory, rules: RulesConfig) -> CheckDeps:
    return CheckDeps(
        read_directory=lambda: sample_directory,
        config=rules,
        renderer=Renderer(rules),
        runs=world.runs,
        breaches=world.breaches,
        queue=world.queue,
        clock=lambda: NOW,
        lease=LEASE,
        retention=timedelta(days=400),
    )


def items(name: str) -> list[Any]:
    loaded: list[Any] = json.loads((SAMPLES / name).read_text(encoding="utf-8"))["items"]
    return loaded


def pages(path: str, records: list[Any], size: int = 10) -> Iterator[Page]:
    for number, start in enumerate(range(0, len(records), size), 1):
        yield Page(records[start : start + size], f"GET {path} page {number}", start)


def unread() -> Iterator[Page]:
    raise AssertionError("the metrics API was read")
    yield  # a generator: it fails only if the run iterates it


def request(rule: str = PORTAL_STALE, day: date = MONDAY, **kwargs: Any) -> CheckRequest:
    return CheckRequest(
        rule, day, run_id=kwargs.pop("run_id", "run-1"), correlation_id="t", **kwargs
    )


def test_a_scheduled_run_writes_breaches_and_queues_notifications(
    deps: CheckDeps, world: World
) -> None:
    # Given the sample portals, over four pages
    # When the portal check runs on Monday
    report = run_check(request(), deps, pages("/portals", items("portals.json")))
    # Then the day's six breaches are recorded and their 20 notifications queued
    assert report.status == "completed"
    assert (report.records, report.breaches, report.new_breaches) == (31, 6, 6)
    assert (report.unroutable, report.notifications, report.queued) == (1, 20, 20)
    assert {item.subject for item in world.breaches.items.values()} == STALE_PORTALS
    assert len({m.notification_id for m in world.queue.sent}) == 20
    run = world.runs.runs[(PORTAL_STALE, MONDAY)]
    assert (run.status, run.finished) == (
        COMPLETED,
        {"records": 31, "breaches": 6, "notifications": 20, "error": None},
    )


def test_a_rule_not_scheduled_that_day_reads_no_page(deps: CheckDeps, world: World) -> None:
    # Given the dossier rule runs on Mondays only
    # When it is triggered on a Tuesday
    report = run_check(request(DOSSIERS_OVERDUE, TUESDAY), deps, unread())
    # Then it stops before reading the API, and writes nothing
    assert report.status == "not_scheduled"
    assert world.untouched


def test_a_completed_day_reads_no_page(deps: CheckDeps, world: World) -> None:
    run_check(request(), deps, pages("/portals", items("portals.json")))
    queued = len(world.queue.sent)
    # When the same day is triggered again
    report = run_check(request(run_id="run-2"), deps, unread())
    # Then it stops before reading the API, and queues nothing more
    assert report.status == "already_completed"
    assert len(world.queue.sent) == queued


def test_a_dry_run_reports_breaches_and_writes_nothing(deps: CheckDeps, world: World) -> None:
    # When the portal check runs as a dry run
    report = run_check(request(dry_run=True), deps, pages("/portals", items("portals.json")))
    # Then it reports the breaches and notifications but claims, writes and queues nothing
    assert report.status == "dry_run"
    assert (report.breaches, report.unroutable, report.notifications) == (6, 1, 20)
    assert report.queued == 0
    assert world.untouched


def test_an_api_failure_half_way_writes_and_queues_nothing(deps: CheckDeps, world: World) -> None:
    # Given the API answers page 1 of 3 and then fails
    def failing() -> Iterator[Page]:
        first, *_ = pages("/portals", items("portals.json")[:30])
        yield first
        raise MetricsApiError("GET /portals page 2: the metrics API answered HTTP 503")

    # When the portal check runs
    with pytest.raises(MetricsApiError, match="page 2"):
        run_check(request(), deps, failing())
    # Then nothing was claimed, written or queued: page 1's breaches are not sent alone
    assert world.untouched


def test_no_valid_record_is_an_outage_not_an_all_clear(deps: CheckDeps, world: World) -> None:
    # Given the API answers with records that are all malformed
    bad = [item | {"kind": "regional"} for item in items("portals.json")[:3]]
    # When the portal check runs against a directory that has units
    with pytest.raises(MetricsApiError) as error:
        run_check(request(), deps, pages("/portals", bad))
    # Then it fails as an outage, naming what it got, and sends nothing
    assert "no valid portal_stale record of a unit in the directory (0 valid, 3 invalid;" in str(
        error.value
    )
    assert "nothing sent" in str(error.value)
    assert world.untouched


def test_an_empty_answer_is_an_outage(deps: CheckDeps, world: World) -> None:
    with pytest.raises(MetricsApiError, match=r"\(0 valid, 0 invalid;"):
        run_check(request(), deps, pages("/portals", []))
    assert world.untouched


def test_a_claim_held_by_another_run_stops_this_one(deps: CheckDeps, world: World) -> None:
    # Given another run holds Monday with a valid lease
    world.runs.claim(PORTAL_STALE, MONDAY, "other", NOW, LEASE)
    # When this run gets to the point of writing
    report = run_check(request(), deps, pages("/portals", items("portals.json")))
    # Then it writes and queues nothing
    assert report.status == "already_running"
    assert world.breaches.items == {}
    assert world.queue.sent == []


def test_a_queue_failure_marks_the_run_failed_and_raises(deps: CheckDeps, world: World) -> None:
    # Given the queue refuses the notifications
    world.queue.error = QueueError("3 of 10 notifications could not be queued after 5 attempts")
    # When the portal check runs
    with pytest.raises(QueueError):
        run_check(request(), deps, pages("/portals", items("portals.json")))
    # Then the run is marked failed with the reason, so that a retry may claim the day
    run = world.runs.runs[(PORTAL_STALE, MONDAY)]
    assert run.status == FAILED
    assert run.finished["error"].startswith("QueueError: 3 of 10 notifications")
    assert len(world.breaches.items) == 6


def test_a_retry_after_a_failed_attempt_queues_every_notification_again(
    deps: CheckDeps, world: World
) -> None:
    # Given a first attempt wrote the breaches and then failed to queue
    world.queue.error = QueueError("SQS unavailable")
    with pytest.raises(QueueError):
        run_check(request(run_id="run-1"), deps, pages("/portals", items("portals.json")))
    # When the retry runs
    world.queue.error = None
    report = run_check(request(run_id="run-2"), deps, pages("/portals", items("portals.json")))
    # Then it creates no breach record (they exist) but queues all 20 notifications
    assert report.status == "completed"
    assert (report.breaches, report.new_breaches, report.queued) == (6, 0, 20)
    assert len({m.notification_id for m in world.queue.sent}) == 20
    assert {item.run_id for item in world.breaches.items.values()} == {"run-1"}
    assert world.runs.runs[(PORTAL_STALE, MONDAY)].status == COMPLETED


def test_an_empty_directory_fails_the_run_before_reading_the_api(
    deps: CheckDeps, world: World
) -> None:
    # Given a directory table nobody has loaded yet
    deps.read_directory = lambda: Directory.build([])
    # When the check runs, then it fails naming the fix, and reads and writes nothing
    with pytest.raises(InputError, match="directory is empty: load it"):
        run_check(request(), deps, unread())
    assert world.breaches.items == {}
    assert world.queue.sent == []


def test_breaches_are_written_and_queued_in_chunks_without_extra_queue_calls(
    deps: CheckDeps, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given chunks of two breaches (instead of 500), so the day's six breaches take three
    monkeypatch.setattr(check_run, "CHUNK", 2)
    calls: list[int] = []
    send = world.queue.send

    def counted(messages: list[NotificationMessage]) -> int:
        calls.append(len(messages))
        return send(messages)

    monkeypatch.setattr(world.queue, "send", counted)
    # When the portal check runs
    report = run_check(request(), deps, pages("/portals", items("portals.json")))
    # Then every notification is queued once, and every call but the last carries whole
    # batches of ten: chunking costs no SQS call
    assert report.queued == report.notifications == 20
    assert len({m.notification_id for m in world.queue.sent}) == 20
    assert sum(calls) == 20
    assert all(size % 10 == 0 for size in calls[:-1])
    assert len(world.breaches.items) == 6
