"""Metrics API outages: whatever the way the API fails, the check fails loudly with a message
naming the problem, records no breach, queues nothing, and leaves the day open for a retry."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest

from ioc_alerts.adapters.metrics_api import MetricsApiError
from ioc_alerts.check_entry import services
from ioc_alerts.local.invoke import invoke
from ioc_alerts.local.metrics_server import Fault, MetricsServer
from tests.integration.conftest import Account, sample_items

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("fast_api")]

MONDAY = "2023-11-06"
PORTALS_MONDAY = {"scheduled_time": "2023-11-06T01:00:00Z", "execution_id": "exec-portals-1"}
ATTEMPTS = 3  # the client's default: one request and two retries

Outage = Callable[[MetricsServer, pytest.MonkeyPatch], None]
Emitted = Callable[[], dict[str, list[float]]]


def api_down(api: MetricsServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing listens at the configured URL (a loopback port just closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("METRICS_API_URL", f"http://127.0.0.1:{port}")
    services.cache_clear()


def too_slow(api: MetricsServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every attempt answers after the read timeout (0.3 s under test)."""
    api.add_faults("/portals", *[Fault(delay=0.6)] * ATTEMPTS)


def not_json(api: MetricsServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy's HTML error page with status 200."""
    api.add_faults("/portals", Fault(body=b"<html><body>Bad gateway</body></html>"))


def not_a_page(api: MetricsServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """JSON, but not the contract's envelope."""
    api.add_faults("/portals", Fault(status=200, body=b'{"data": []}'))


def empty(api: MetricsServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """A well-formed answer with no portal at all."""
    api.set_items("/portals", [])


def fails_on_page_two(api: MetricsServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Page 1 of 3 is fine; page 2 answers 503 to every attempt."""
    api.set_items("/portals", sample_items("portals.json")[:25])
    api.page_size = 10
    api.add_faults("/portals", Fault(), *[Fault(status=503)] * ATTEMPTS)


def wrong_token(api: MetricsServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The IOC rotated the token and the SSM parameter was not updated."""
    api.token = "rotated"


# (outage, the error message, the requests made: one per page read, up to 3 per failing page)
OUTAGES: list[tuple[Outage, str, int]] = [
    (api_down, r"GET /portals page 1: no answer from the metrics API: .*refused", 3),
    (too_slow, r"GET /portals page 1: no answer from the metrics API: .*[Rr]ead timed out", 3),
    (not_json, r"GET /portals page 1: the answer is not JSON", 1),
    (not_a_page, r"GET /portals page 1: not a metrics page: items: Field required", 1),
    (empty, r"no valid portal_stale record .*\(0 valid, 0 invalid; .* nothing sent", 1),
    (fails_on_page_two, r"GET /portals page 2: the metrics API answered HTTP 503", 4),
    (wrong_token, r"GET /portals page 1: the metrics API answered HTTP 401 \(check the token", 1),
]


@pytest.mark.parametrize(
    ("outage", "message", "requests"), OUTAGES, ids=[o.__name__ for o, _, _ in OUTAGES]
)
def test_an_api_outage_fails_the_run_and_sends_nothing(
    outage: Outage,
    message: str,
    requests: int,
    stack: Any,
    metrics_api: MetricsServer,
    account: Account,
    emitted: Emitted,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given the sample portals behind an API that fails in this way
    metrics_api.set_items("/portals", sample_items("portals.json"))
    outage(metrics_api, monkeypatch)
    # When the scheduler runs the portal check
    with pytest.raises(MetricsApiError, match=message):
        invoke("check_portals", PORTALS_MONDAY)
    # Then no breach is recorded, nothing is queued, and the day is not marked done
    assert account.all_breaches() == 0
    assert account.queued() == 0
    run = account.run("portal_stale", MONDAY)
    assert run is None or run.status != "completed"
    # And the outage shows in the metrics, with every request made, retries included
    assert services().api.stats.requests == requests
    metrics = emitted()
    assert (metrics["ApiErrors"], metrics["ApiRequests"]) == ([1.0], [float(requests)])


def test_after_an_outage_the_retry_completes_the_day(
    stack: Any, metrics_api: MetricsServer, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a first run failed on a 503 on page 2
    fails_on_page_two(metrics_api, monkeypatch)
    with pytest.raises(MetricsApiError):
        invoke("check_portals", PORTALS_MONDAY)
    # When the scheduler's retry finds the API back
    report = invoke("check_portals", PORTALS_MONDAY)
    # Then the day completes with the breaches of all three pages
    assert report["status"] == "completed"
    assert (report["records"], report["breaches"]) == (25, len(account.breaches(MONDAY)))
    assert account.queued() == report["queued"] > 0
