"""The check functions end to end: the real handlers, the metrics API over HTTP, DynamoDB and
SQS on a moto server. The Sóc Trăng sample on Monday 6 November 2023 gives six stale portals
(one unroutable) and six units with overdue dossiers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ioc_alerts.adapters.metrics_api import CallStats
from ioc_alerts.check_entry import services
from ioc_alerts.local.invoke import invoke
from ioc_alerts.local.metrics_server import Fault, MetricsServer
from ioc_alerts.messages import NotificationMessage
from tests.integration.conftest import Account, sample_items

pytestmark = pytest.mark.integration

Emitted = Callable[[], dict[str, list[float]]]

MONDAY = "2023-11-06"
# 08:00 in Vietnam, as EventBridge Scheduler fills in the function's Input.
PORTALS_MONDAY = {"scheduled_time": "2023-11-06T01:00:00Z", "execution_id": "exec-portals-1"}
DOSSIERS_MONDAY = {"scheduled_time": "2023-11-06T01:00:00Z", "execution_id": "exec-dossiers-1"}
DOSSIERS_TUESDAY = {"scheduled_time": "2023-11-07T01:00:00Z", "execution_id": "exec-dossiers-2"}
STALE_PORTALS = {"cong-tinh", "cong-946", "cong-sgtvt", "cong-sxd", "cong-skhcn", "cong-bqlkcn"}
OVERDUE_UNITS = {"942", "31570", "947", "31690", "SNV", "SCT"}


def assert_no_contact_data(bodies: list[str]) -> None:
    """Queue messages name recipients by reference only: no phone number, no e-mail."""
    assert bodies
    leaks = [body for body in bodies if "+84" in body or "@" in body]
    assert leaks == []


def test_the_portal_check_reads_every_page_records_breaches_and_queues_notifications(
    stack: Any, metrics_api: MetricsServer, account: Account
) -> None:
    # Given the sample's 31 portals and one of an unknown kind, served ten to a page
    regional = sample_items("portals.json")[1] | {"portal_id": "cong-vung", "kind": "regional"}
    metrics_api.set_items("/portals", [*sample_items("portals.json"), regional])
    metrics_api.page_size = 10
    # When the scheduler runs the portal check on Monday 6 November 2023, 08:00
    report = invoke("check_portals", PORTALS_MONDAY)
    # Then every page was read and the malformed portal reported, not fatal
    assert len(metrics_api.data.requests) == 4
    assert report["status"] == "completed"
    assert (report["records"], report["invalid_records"]) == (31, 1)
    assert any("cong-vung" in problem and "kind" in problem for problem in report["problems"])
    # And the six stale portals are recorded for the day, the unroutable one with its reason
    assert (report["breaches"], report["new_breaches"], report["unroutable"]) == (6, 6, 1)
    breaches = account.breaches(MONDAY, "portal_stale")
    assert {item.subject for item in breaches} == STALE_PORTALS
    (unroutable,) = [item for item in breaches if item.status == "unroutable"]
    assert (unroutable.subject, unroutable.notifications) == ("cong-bqlkcn", 0)
    assert "BQLKCN has no leader contact" in (unroutable.unroutable_reason or "")
    # And the queue holds exactly the day's notifications, without contact data
    bodies = account.bodies()
    assert len(bodies) == account.queued() == report["notifications"] == report["queued"] == 20
    assert_no_contact_data(bodies)
    messages = [NotificationMessage.model_validate_json(body) for body in bodies]
    assert len({message.notification_id for message in messages}) == 20
    assert {message.breach.subject for message in messages} == STALE_PORTALS - {"cong-bqlkcn"}
    # And the run is recorded completed, under the scheduler's execution id
    run = account.run("portal_stale", MONDAY)
    assert run is not None
    assert (run.status, run.records, run.breaches, run.notifications) == ("completed", 31, 6, 20)
    assert run.correlation_id == "exec-portals-1"


def test_the_dossier_check_on_a_monday_routes_a_communes_breach_to_its_district(
    stack: Any, metrics_api: MetricsServer, account: Account
) -> None:
    # Given the sample's overdue dossiers (one count malformed, one unit unknown)
    metrics_api.set_items("/dossiers/overdue", sample_items("dossiers.json"))
    # When the scheduler runs the dossier check on Monday
    report = invoke("check_dossiers", DOSSIERS_MONDAY)
    # Then six units breach, each recorded once
    assert report["status"] == "completed"
    assert (report["records"], report["invalid_records"]) == (139, 1)
    assert (report["breaches"], report["unroutable"], report["queued"]) == (6, 0, 24)
    breaches = account.breaches(MONDAY, "dossiers_overdue")
    assert {item.unit for item in breaches} == OVERDUE_UNITS
    # And Xã Hồ Đắc Kiện's breach goes to the leaders of Huyện Châu Thành (942)
    (commune,) = [item for item in breaches if item.unit == "31570"]
    assert (commune.value, commune.routing, commune.recipient_unit) == (
        3,
        "parent_of_commune",
        "942",
    )
    bodies = account.bodies()
    assert len(bodies) == account.queued() == 24
    assert_no_contact_data(bodies)
    to_commune = [
        message
        for message in map(NotificationMessage.model_validate_json, bodies)
        if message.breach.unit_code == "31570"
    ]
    assert sorted(m.channel for m in to_commune) == ["email", "email", "sms", "sms"]
    assert {m.recipient_unit for m in to_commune} == {"942"}


def test_the_dossier_check_on_a_tuesday_does_not_call_the_api(
    stack: Any, metrics_api: MetricsServer, account: Account
) -> None:
    metrics_api.set_items("/dossiers/overdue", sample_items("dossiers.json"))
    # When the dossier check is triggered on Tuesday 7 November
    report = invoke("check_dossiers", DOSSIERS_TUESDAY)
    # Then it is not scheduled that day: no API request, no run, nothing queued
    assert report["status"] == "not_scheduled"
    assert metrics_api.data.requests == []
    assert account.run("dossiers_overdue", "2023-11-07") is None
    assert account.queued() == 0


def test_a_503_that_succeeds_on_retry_completes_the_run(
    stack: Any, metrics_api: MetricsServer, account: Account, emitted: Emitted
) -> None:
    # Given the API answers the first request with 503 Service Unavailable
    metrics_api.set_items("/portals", sample_items("portals.json"))
    metrics_api.add_faults("/portals", Fault(status=503))
    # When the portal check runs
    report = invoke("check_portals", PORTALS_MONDAY)
    # Then the client retried once and the run completed as usual
    assert report["status"] == "completed"
    assert report["queued"] == account.queued() == 20
    assert len(metrics_api.data.requests) == 2
    assert services().api.stats == CallStats(requests=2, retries=1)
    # And the run's ApiRequests metric counts both requests
    metrics = emitted()
    assert metrics["ApiRequests"] == [2.0]
    assert "ApiErrors" not in metrics
