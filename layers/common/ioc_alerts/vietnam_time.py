"""Vietnam calendar days: every "day" of the alert rules is a day in Asia/Ho_Chi_Minh.

Convert at the edge (API timestamps, scheduler time) with these helpers and pass
`datetime.date` inward; the core never asks for the current time.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES_VI = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")


def vietnam_date(moment: datetime) -> date:
    """The Vietnam calendar date of an aware timestamp."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"timestamp {moment.isoformat()} has no UTC offset")
    return moment.astimezone(VIETNAM).date()


def parse_timestamp(text: str) -> datetime:
    """An ISO-8601 timestamp that must carry an offset ('Z' allowed)."""
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        raise ValueError(f"timestamp {text!r} has no UTC offset")
    return moment


def weekday_code(day: date) -> str:
    """'mon' ... 'sun', the spelling used in the rules file."""
    return WEEKDAYS[day.weekday()]


def format_day(day: date) -> str:
    """dd/mm/yyyy, the way dates are written in Vietnamese administrative texts."""
    return day.strftime("%d/%m/%Y")
