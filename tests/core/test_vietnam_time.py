"""Vietnam calendar days: timestamps become Asia/Ho_Chi_Minh dates, whatever their offset."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from ioc_alerts.vietnam_time import (
    WEEKDAY_NAMES_VI,
    WEEKDAYS,
    format_day,
    parse_timestamp,
    vietnam_date,
    weekday_code,
)


@pytest.mark.parametrize(
    ("written", "vietnam_day"),
    [
        # 23:30 in Vietnam is still 1 Nov there (16:30 UTC, also 1 Nov).
        ("2023-11-01T23:30:00+07:00", date(2023, 11, 1)),
        ("2023-11-01T16:30:00Z", date(2023, 11, 1)),
        ("2023-11-01T16:30:00+00:00", date(2023, 11, 1)),
        # 00:30 on 2 Nov in Vietnam is 17:30 UTC on 1 Nov: the Vietnam date wins.
        ("2023-11-02T00:30:00+07:00", date(2023, 11, 2)),
        ("2023-11-01T17:30:00Z", date(2023, 11, 2)),
        ("2023-11-01T12:30:00-05:00", date(2023, 11, 2)),
        # Midnight exactly belongs to the new day; one second before, to the old one.
        ("2023-11-01T17:00:00Z", date(2023, 11, 2)),
        ("2023-11-01T16:59:59Z", date(2023, 11, 1)),
        # An offset east of Vietnam: 02:00 on 2 Nov in Japan is 00:00 in Vietnam.
        ("2023-11-02T02:00:00+09:00", date(2023, 11, 2)),
        ("2023-11-02T01:59:59+09:00", date(2023, 11, 1)),
    ],
)
def test_vietnam_date_follows_asia_ho_chi_minh_not_the_written_offset(
    written: str, vietnam_day: date
) -> None:
    # Given a timestamp written with any offset
    moment = parse_timestamp(written)
    # When it is turned into a Vietnam calendar day
    # Then the day is the one on a wall clock in Vietnam (UTC+7, no daylight saving)
    assert vietnam_date(moment) == vietnam_day


def test_a_naive_timestamp_is_refused_at_parse_and_at_conversion() -> None:
    # Given a timestamp with no offset: its Vietnam date would be a guess
    # When / Then it is rejected both when parsed and when converted
    with pytest.raises(ValueError, match="no UTC offset"):
        parse_timestamp("2023-11-01T10:00:00")
    with pytest.raises(ValueError, match="no UTC offset"):
        vietnam_date(datetime(2023, 11, 1, 10, 0))


def test_parse_timestamp_accepts_z_and_surrounding_spaces() -> None:
    # Given the forms the metrics API may send
    # When parsed
    # Then they are the same instant
    expected = datetime(2023, 11, 1, 3, 0, tzinfo=UTC)
    assert parse_timestamp("2023-11-01T03:00:00Z") == expected
    assert parse_timestamp(" 2023-11-01T10:00:00+07:00\n") == expected


def test_parse_timestamp_rejects_what_is_not_a_timestamp() -> None:
    with pytest.raises(ValueError, match="Invalid isoformat"):
        parse_timestamp("1/11/2023")


def test_weekday_codes_are_the_rules_file_spelling() -> None:
    # Given Monday 6 Nov 2023 and the six days after it
    monday = date(2023, 11, 6)
    # When each day's code and Vietnamese name are taken
    codes = [weekday_code(monday + timedelta(days=n)) for n in range(7)]
    names = [WEEKDAY_NAMES_VI[(monday + timedelta(days=n)).weekday()] for n in range(7)]
    # Then they run Monday to Sunday
    assert codes == list(WEEKDAYS) == ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    assert names[0] == "Thứ Hai"
    assert names[-1] == "Chủ Nhật"


def test_format_day_is_dd_mm_yyyy_with_leading_zeros() -> None:
    assert format_day(date(2023, 11, 1)) == "01/11/2023"
    assert format_day(date(2025, 7, 9)) == "09/07/2025"
