"""Duplicate triggers: a day's check records its breaches and queues its notifications once,
whether it is triggered twice in a row, twice at the same moment, or retried after a crash."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from ioc_alerts.adapters.notification_queue import NotificationQueue, QueueError
from ioc_alerts.local.invoke import handler, invoke
from ioc_alerts.local.metrics_server import MetricsServer
from ioc_alerts.messages import NotificationMessage
from tests.integration.conftest import Account, sample_items

pytestmark = pytest.mark.integration

MONDAY = "2023-11-06"
PORTALS_MONDAY = {"scheduled_time": "2023-11-06T01:00:00Z", "execution_id": "exec-portals-1"}
BREACHES, NOTIFICATIONS = 6, 20  # the sample's stale portals on Monday, and their notifications


@pytest.fixture
def portals(metrics_api: MetricsServer) -> MetricsServer:
    metrics_api.set_items("/portals", sample_items("portals.json"))
    return metrics_api


def test_the_same_day_triggered_twice_runs_once(
    stack: Any, portals: MetricsServer, account: Account
) -> None:
    # Given Monday's portal check completed
    first = invoke("check_portals", PORTALS_MONDAY)
    assert (first["status"], first["queued"]) == ("completed", NOTIFICATIONS)
    requests = len(portals.data.requests)
    # When the scheduler triggers it again, and an operator re-runs the date by hand
    again = invoke("check_portals", PORTALS_MONDAY)
    manual = invoke("check_portals", {"date": MONDAY})
    # Then both stop at once: no API request, no new record, no extra message
    for report in (again, manual):
        assert report["status"] == "already_completed"
        assert report["records"] == report["breaches"] == report["queued"] == 0
    assert len(portals.data.requests) == requests
    assert account.all_breaches() == BREACHES
    assert account.queued() == NOTIFICATIONS


def test_two_concurrent_triggers_record_and_queue_the_day_once(
    stack: Any, portals: MetricsServer, account: Account
) -> None:
    # Given two invocations for the same day, released at the same moment
    handler("check_portals")  # loaded once, as in a warm container
    start = threading.Barrier(2)

    def trigger() -> dict[str, Any]:
        start.wait(timeout=10)
        result: dict[str, Any] = invoke("check_portals", PORTALS_MONDAY)
        return result

    # When both run
    with ThreadPoolExecutor(2) as pool:
        reports = [future.result(timeout=60) for future in [pool.submit(trigger) for _ in "ab"]]
    # Then one completes the day and the other finds it taken
    winner, loser = sorted(reports, key=lambda report: report["status"] != "completed")
    assert winner["status"] == "completed"
    assert loser["status"] in {"already_running", "already_completed"}
    assert loser["queued"] == loser["new_breaches"] == 0
    # And the account holds one set of breach records and one set of messages
    assert account.all_breaches() == BREACHES
    assert account.queued() == NOTIFICATIONS
    ids = {
        NotificationMessage.model_validate_json(body).notification_id for body in account.bodies()
    }
    assert len(ids) == NOTIFICATIONS
    run = account.run("portal_stale", MONDAY)
    assert run is not None
    assert (run.status, run.run_id) == ("completed", winner["run_id"])


def test_a_retry_after_a_crash_while_queueing_queues_the_whole_day(
    stack: Any, portals: MetricsServer, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the first attempt wrote the breach records and then failed to queue
    send = NotificationQueue.send
    attempts: list[int] = []

    def fails_first_time(queue: NotificationQueue, messages: Any) -> int:
        attempts.append(len(messages))
        if len(attempts) == 1:
            raise QueueError(
                f"{len(messages)} of {len(messages)} notifications could not be queued"
            )
        return send(queue, messages)

    monkeypatch.setattr(NotificationQueue, "send", fails_first_time)
    with pytest.raises(QueueError):
        invoke("check_portals", PORTALS_MONDAY)
    failed = account.run("portal_stale", MONDAY)
    assert failed is not None
    assert failed.status == "failed"
    assert (failed.error or "").startswith("QueueError: 20 of 20")
    assert (account.all_breaches(), account.queued()) == (BREACHES, 0)
    # When Lambda retries the invocation
    report = invoke("check_portals", PORTALS_MONDAY)
    # Then the retry claims the day, finds the breaches recorded and queues all notifications
    assert report["status"] == "completed"
    assert (report["breaches"], report["new_breaches"], report["queued"]) == (BREACHES, 0, 20)
    assert attempts == [NOTIFICATIONS, NOTIFICATIONS]
    assert account.all_breaches() == BREACHES
    assert account.queued() == NOTIFICATIONS
    run = account.run("portal_stale", MONDAY)
    assert run is not None
    assert (run.status, run.run_id, run.error) == ("completed", report["run_id"], None)
