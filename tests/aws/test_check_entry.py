"""The check functions' input: a scheduler event or a manual one becomes a request for one
Vietnam date; anything else is refused with a message naming the problem."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from ioc_alerts.check_entry import request_from_event
from ioc_alerts.problems import InputError

RULE = "portal_stale"


def test_a_scheduler_event_checks_the_vietnam_date_of_its_scheduled_time() -> None:
    # Given the scheduler fired at 00:30 on 6 November in Vietnam (17:30 UTC the day before)
    event = {"scheduled_time": "2023-11-05T17:30:00Z", "execution_id": "exec-7f3a"}
    # When the event is read
    request = request_from_event(RULE, event, "req-1")
    # Then the day is the Vietnam date, and the scheduler's execution id is the correlation id
    assert request.day == date(2023, 11, 6)
    assert request.scheduled_time == datetime(2023, 11, 5, 17, 30, tzinfo=UTC)
    assert request.correlation_id == "exec-7f3a"
    assert (request.rule, request.dry_run) == (RULE, False)
    assert uuid.UUID(request.run_id)


def test_each_request_gets_its_own_run_id() -> None:
    event = {"date": "2023-11-06"}
    assert (
        request_from_event(RULE, event, "r").run_id != request_from_event(RULE, event, "r").run_id
    )


def test_a_manual_event_names_the_date_and_may_ask_for_a_dry_run() -> None:
    # When an operator re-runs Monday as a dry run
    request = request_from_event(RULE, {"date": "2023-11-06", "dry_run": True}, "req-42")
    # Then the date is taken as given, and the Lambda request id makes the correlation id
    assert request.day == date(2023, 11, 6)
    assert request.dry_run is True
    assert request.scheduled_time is None
    assert request.correlation_id == "manual-req-42"


def test_a_manual_date_wins_over_a_scheduled_time() -> None:
    event = {"date": "2023-11-06", "scheduled_time": "2023-11-08T01:00:00Z"}
    assert request_from_event(RULE, event, "r").day == date(2023, 11, 6)


@pytest.mark.parametrize(
    ("event", "named"),
    [
        ({"date": "2023-11-06", "surprise": 1}, ["surprise", "Extra inputs are not permitted"]),
        ({"scheduled_time": "2023-11-05T17:30:00"}, ["scheduled_time", "timezone"]),
        ({"date": "06/11/2023"}, ["date", "valid date"]),
        ({"date": "2023-11-06", "dry_run": "maybe"}, ["dry_run", "boolean"]),
        (["2023-11-06"], ["dictionary"]),
    ],
)
def test_an_invalid_event_is_refused_naming_the_key(event: Any, named: list[str]) -> None:
    with pytest.raises(InputError) as error:
        request_from_event(RULE, event, "r")
    message = str(error.value)
    assert message.startswith("check event is not valid (")
    assert all(part in message for part in named), message


@pytest.mark.parametrize("event", [{}, None, {"execution_id": "exec-1"}, {"dry_run": True}])
def test_an_event_without_date_or_scheduled_time_says_what_it_needs(event: Any) -> None:
    with pytest.raises(InputError) as error:
        request_from_event(RULE, event, "r")
    assert str(error.value) == ('check event needs "scheduled_time" (scheduler) or "date" (manual)')
