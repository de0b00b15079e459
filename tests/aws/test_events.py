"""The ready events in events/ (for `sam local invoke`) are what the handlers accept."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from ioc_alerts.check_entry import request_from_event
from ioc_alerts.config import PORTAL_STALE
from ioc_alerts.messages import NotificationMessage

EVENTS = Path(__file__).resolve().parents[2] / "events"


@pytest.mark.parametrize(
    ("name", "day", "dry_run"),
    [
        ("check_portals_scheduled.json", date(2023, 11, 6), False),
        ("check_dossiers_scheduled.json", date(2023, 11, 13), False),
        ("check_manual_date.json", date(2023, 11, 6), False),
        ("check_dry_run.json", date(2023, 11, 6), True),
    ],
)
def test_the_check_events_name_the_intended_vietnam_day(
    name: str, day: date, dry_run: bool
) -> None:
    event = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    request = request_from_event(PORTAL_STALE, event, "sam-local")
    assert (request.day, request.dry_run) == (day, dry_run)


def test_the_sqs_batch_carries_notification_messages_without_contact_data() -> None:
    event = json.loads((EVENTS / "send_alert_sqs_batch.json").read_text(encoding="utf-8"))
    assert len(event["Records"]) == 3
    for record in event["Records"]:
        message = NotificationMessage.model_validate_json(record["body"])
        assert message.channel in ("sms", "email")
        assert "+84" not in record["body"]
        assert "@" not in record["body"]
