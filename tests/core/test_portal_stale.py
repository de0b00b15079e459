"""Rule 1 of the notice: days since a portal's latest post, per Vietnam calendar day.

The provincial portal breaches from day 4 without a post (threshold 3), a component portal
from day 6 (threshold 5); N, the whole days without a post, grows by one a day.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ioc_alerts.config import PORTAL_STALE, RulesConfig
from ioc_alerts.directory import Directory
from ioc_alerts.records import PortalRecord
from ioc_alerts.render import Renderer
from ioc_alerts.routing import route
from ioc_alerts.rules import Breach, PortalStaleCheck, days_without_post

PortalFactory = Callable[..., PortalRecord]

LAST_POST = "2023-11-01T10:00:00+07:00"  # the notice's example: a post on 1 Nov 2023


def check(
    day: date, records: Iterable[PortalRecord], directory: Directory, config: RulesConfig
) -> PortalStaleCheck:
    evaluation = PortalStaleCheck(day, directory, config)
    evaluation.add(records)
    return evaluation


def sms(breach: Breach, directory: Directory, config: RulesConfig) -> str:
    text = Renderer(config).sms(breach, route(directory[breach.unit_code], directory)).text
    assert unicodedata.is_normalized("NFC", text)
    return text


# --- the thresholds' edge days -----------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "days_without_a_post"),
    [
        (date(2023, 11, 1), None),  # the day of the post
        (date(2023, 11, 2), None),
        (date(2023, 11, 3), None),
        (date(2023, 11, 4), None),
        (date(2023, 11, 5), 3),  # day 4 after the post: "Đã quá 3 ngày"
        (date(2023, 11, 6), 4),  # and one more every following day
        (date(2023, 11, 7), 5),
    ],
)
def test_provincial_portal_breaches_from_day_4_with_threshold_3(
    day: date,
    days_without_a_post: int | None,
    soctrang_2023: Directory,
    rules: RulesConfig,
    make_portal: PortalFactory,
) -> None:
    # Given the provincial portal, last post 1 Nov 2023 10:00 Vietnam time
    portal = make_portal(kind="provincial", last_published_at=LAST_POST)
    # When the rule runs on `day`
    result = check(day, [portal], soctrang_2023, rules)
    # Then it breaches only from 5 Nov, with N = (D - P) - 1
    assert [b.value for b in result.breaches] == (
        [] if days_without_a_post is None else [days_without_a_post]
    )
    assert result.problems == []


@pytest.mark.parametrize(
    ("day", "days_without_a_post"),
    [
        (date(2023, 11, 5), None),
        (date(2023, 11, 6), None),  # 4 whole days without a post: still under 5
        (date(2023, 11, 7), 5),  # day 6 after the post: "Đã quá 5 ngày"
        (date(2023, 11, 8), 6),
    ],
)
def test_component_portal_breaches_from_day_6_with_threshold_5(
    day: date,
    days_without_a_post: int | None,
    soctrang_2023: Directory,
    rules: RulesConfig,
    make_portal: PortalFactory,
) -> None:
    # Given a component portal of Huyện Châu Thành, last post 1 Nov 2023
    portal = make_portal(
        portal_id="cong-942", kind="component", unit_code="942", last_published_at=LAST_POST
    )
    # When the rule runs on `day`
    result = check(day, [portal], soctrang_2023, rules)
    # Then it breaches only from 7 Nov
    assert [b.value for b in result.breaches] == (
        [] if days_without_a_post is None else [days_without_a_post]
    )


def test_a_breach_carries_what_the_alert_needs(
    soctrang_2023: Directory, rules: RulesConfig, make_portal: PortalFactory
) -> None:
    # Given the provincial portal, last post 1 Nov
    portal = make_portal(last_published_at=LAST_POST)
    # When the rule runs on 5 Nov
    (breach,) = check(date(2023, 11, 5), [portal], soctrang_2023, rules).breaches
    # Then the breach names the rule, portal, unit, day, value and threshold
    assert breach == Breach(
        rule=PORTAL_STALE,
        variant="provincial",
        unit_code="STTTT",
        subject="cong-tinh",
        day=date(2023, 11, 5),
        value=3,
        threshold=3,
        portal_name="Cổng thông tin điện tử tỉnh Sóc Trăng",
        portal_url="https://www.soctrang.gov.vn",
        last_published_on=date(2023, 11, 1),
    )
    # and its id is stable for the day (re-runs of the same day are the same breach)
    assert breach.breach_id == "portal_stale#cong-tinh#2023-11-05"


def test_the_same_post_date_breaches_the_provincial_threshold_before_the_component_one(
    soctrang_2023: Directory, rules: RulesConfig, make_portal: PortalFactory
) -> None:
    # Given both kinds of portal, both last posting on 1 Nov
    portals = [
        make_portal(portal_id="cong-tinh", kind="provincial"),
        make_portal(portal_id="cong-stttt", kind="component"),
    ]
    # When the rule runs on 5 Nov
    result = check(date(2023, 11, 5), portals, soctrang_2023, rules)
    # Then only the provincial portal (threshold 3) breaches
    assert [(b.subject, b.variant, b.threshold) for b in result.breaches] == [
        ("cong-tinh", "provincial", 3)
    ]


# --- the notice's texts, verbatim --------------------------------------------------------


def test_provincial_text_is_the_notice_s_verbatim_and_its_number_grows(
    soctrang_2023: Directory, rules: RulesConfig, make_portal: PortalFactory
) -> None:
    # Given the provincial portal (run by Sở TTTT), last post 1 Nov
    portal = make_portal(last_published_at=LAST_POST)
    # When the rule runs on 5 and 6 Nov
    texts = [
        sms(breach, soctrang_2023, rules)
        for day in (date(2023, 11, 5), date(2023, 11, 6))
        for breach in check(day, [portal], soctrang_2023, rules).breaches
    ]
    # Then the SMS is the notice's text, with 3 then 4 days
    expected = [
        "Đã quá 3 ngày Sở TTTT chưa đăng tin bài trên Cổng thông tin điện tử của Tỉnh",
        "Đã quá 4 ngày Sở TTTT chưa đăng tin bài trên Cổng thông tin điện tử của Tỉnh",
    ]
    assert all(unicodedata.is_normalized("NFC", text) for text in expected)
    assert texts == expected


def test_component_text_is_the_notice_s_verbatim_with_the_unit_name(
    soctrang_2023: Directory, rules: RulesConfig, make_portal: PortalFactory
) -> None:
    # Given the component portal of Huyện Châu Thành (no short name), last post 1 Nov
    portal = make_portal(portal_id="cong-942", kind="component", unit_code="942")
    # When the rule runs on 7 Nov
    (breach,) = check(date(2023, 11, 7), [portal], soctrang_2023, rules).breaches
    # Then "<Tên đơn vị>" is the unit's name
    expected = "Đã quá 5 ngày Huyện Châu Thành chưa đăng tin bài trên Cổng thông tin điện tử"
    assert unicodedata.is_normalized("NFC", expected)
    assert sms(breach, soctrang_2023, rules) == expected


def test_component_text_uses_the_short_name_when_the_unit_has_one(
    soctrang_2023: Directory, rules: RulesConfig, make_portal: PortalFactory
) -> None:
    portal = make_portal(portal_id="cong-stttt", kind="component", unit_code="STTTT")
    (breach,) = check(date(2023, 11, 8), [portal], soctrang_2023, rules).breaches
    assert sms(breach, soctrang_2023, rules) == (
        "Đã quá 6 ngày Sở TTTT chưa đăng tin bài trên Cổng thông tin điện tử"
    )


# --- Vietnam midnight --------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    ["2023-11-01T23:30:00+07:00", "2023-11-01T16:30:00Z", "2023-11-01T11:30:00-05:00"],
)
def test_a_post_at_23_30_vietnam_time_counts_on_that_vietnam_day(
    written: str, soctrang_2023: Directory, rules: RulesConfig, make_portal: PortalFactory
) -> None:
    # Given a last post at 23:30 on 1 Nov in Vietnam, however the offset is written
    portal = make_portal(last_published_at=written)
    # When the rule runs on 4 and 5 Nov
    on_4 = check(date(2023, 11, 4), [portal], soctrang_2023, rules).breaches
    on_5 = check(date(2023, 11, 5), [portal], soctrang_2023, rules).breaches
    # Then the post is on 1 Nov: first alert on 5 Nov, with 3 days
    assert on_4 == []
    assert [(b.value, b.last_published_on) for b in on_5] == [(3, date(2023, 11, 1))]


@pytest.mark.parametrize(
    "written",
    ["2023-11-02T00:30:00+07:00", "2023-11-01T17:30:00Z", "2023-11-01T12:30:00-05:00"],
)
def test_a_post_at_00_30_vietnam_time_counts_on_the_vietnam_day_not_the_utc_one(
    written: str, soctrang_2023: Directory, rules: RulesConfig, make_portal: PortalFactory
) -> None:
    # Given a last post at 00:30 on 2 Nov in Vietnam, which is still 1 Nov in UTC
    portal = make_portal(last_published_at=written)
    # When the rule runs on 5 and 6 Nov
    on_5 = check(date(2023, 11, 5), [portal], soctrang_2023, rules).breaches
    on_6 = check(date(2023, 11, 6), [portal], soctrang_2023, rules).breaches
    # Then the post is on 2 Nov (a UTC reading would alert a day early, on 5 Nov)
    assert on_5 == []
    assert [(b.value, b.last_published_on) for b in on_6] == [(3, date(2023, 11, 2))]


# --- data that cannot be counted as is ---------------------------------------------------


def test_a_portal_with_no_known_post_is_not_alerted_but_reported(
    soctrang_2023: Directory, rules: RulesConfig, make_portal: PortalFactory
) -> None:
    # Given a portal whose last_published_at is null, beside a stale one
    portals = [
        make_portal(
            portal_id="cong-syt", unit_code="STTTT", kind="component", last_published_at=None
        ),
        make_portal(portal_id="cong-tinh", last_published_at=LAST_POST),
    ]
    # When the rule runs on 6 Nov
    result = check(date(2023, 11, 6), portals, soctrang_2023, rules)
    # Then the null one is not a breach but a warning naming the portal and the field
    assert [b.subject for b in result.breaches] == ["cong-tinh"]
    (problem,) = result.problems
    assert problem.severity == "warning"
    assert problem.where == "portals portal 'cong-syt'"
    assert problem.field == "last_published_at"
    assert "null" in problem.message


def test_a_post_dated_after_the_day_counts_as_posted_that_day_with_a_warning(
    soctrang_2023: Directory,
    rules: RulesConfig,
    configure: Callable[[dict[str, Any]], RulesConfig],
    make_portal: PortalFactory,
) -> None:
    # Given a portal whose latest post is dated 9 Nov (a clock ahead, or a scheduled post),
    # and a threshold of 0 so that any day without a post would breach
    strict = configure({"rules.portal_stale.provincial.threshold": 0})
    portal = make_portal(last_published_at="2023-11-09T08:00:00+07:00")
    # When the rule runs on 6 Nov
    result = check(date(2023, 11, 6), [portal], soctrang_2023, strict)
    # Then it counts as posted on 6 Nov: no breach, and a warning that says so
    assert result.breaches == []
    (problem,) = result.problems
    assert (problem.severity, problem.field) == ("warning", "last_published_at")
    assert problem.where == "portals portal 'cong-tinh'"
    assert "2023-11-09T08:00:00+07:00 is after 2023-11-06" in problem.message


def test_a_post_later_the_same_vietnam_day_is_simply_a_post_that_day(
    soctrang_2023: Directory, rules: RulesConfig, make_portal: PortalFactory
) -> None:
    # Given a post at 20:00 on the day the rule runs at 08:00
    portal = make_portal(last_published_at="2023-11-06T20:00:00+07:00")
    result = check(date(2023, 11, 6), [portal], soctrang_2023, rules)
    # Then there is nothing to report
    assert (result.breaches, result.problems) == ([], [])


def test_an_unknown_unit_is_an_error_and_the_other_portals_are_still_evaluated(
    soctrang_2023: Directory, rules: RulesConfig, make_portal: PortalFactory
) -> None:
    # Given a stale portal of a unit the directory does not know, between two known ones
    portals = [
        make_portal(portal_id="cong-tinh"),
        make_portal(
            portal_id="cong-x",
            kind="component",
            unit_code="99999",
            last_published_at="2023-10-01T08:00:00+07:00",
        ),
        make_portal(
            portal_id="cong-942",
            kind="component",
            unit_code="942",
            last_published_at="2023-10-01T08:00:00+07:00",
        ),
    ]
    # When the rule runs on 6 Nov
    result = check(date(2023, 11, 6), portals, soctrang_2023, rules)
    # Then the known ones are evaluated and the unknown one is an error naming the code
    assert [b.subject for b in result.breaches] == ["cong-tinh", "cong-942"]
    (problem,) = result.problems
    assert (problem.severity, problem.field) == ("error", "unit_code")
    assert problem.where == "portals portal 'cong-x'"
    assert "'99999'" in problem.message
    assert result.records == 3


def test_a_duplicate_portal_is_reported_and_the_first_record_counts(
    soctrang_2023: Directory, rules: RulesConfig, make_portal: PortalFactory
) -> None:
    # Given the same portal twice: first stale, then fresh
    portals = [
        make_portal(portal_id="cong-tinh", last_published_at="2023-10-30T08:00:00+07:00"),
        make_portal(portal_id="cong-tinh", last_published_at="2023-11-05T08:00:00+07:00"),
    ]
    # When the rule runs on 6 Nov
    result = check(date(2023, 11, 6), portals, soctrang_2023, rules)
    # Then the first one counts (a breach with its date) and the second is a problem
    assert [(b.value, b.last_published_on) for b in result.breaches] == [(6, date(2023, 10, 30))]
    (problem,) = result.problems
    assert (problem.field, problem.where) == ("portal_id", "portals portal 'cong-tinh'")
    assert "first one counts" in problem.message


def test_a_duplicate_on_a_later_page_is_still_a_duplicate(
    soctrang_2023: Directory, rules: RulesConfig, make_portal: PortalFactory
) -> None:
    # Given the API's pages fed one after the other
    evaluation = PortalStaleCheck(date(2023, 11, 6), soctrang_2023, rules)
    # When the same portal (fresh on page 1, stale on page 2) comes twice
    evaluation.add([make_portal(last_published_at="2023-11-05T08:00:00+07:00")], "page 1")
    evaluation.add([make_portal(last_published_at="2023-10-01T08:00:00+07:00")], "page 2")
    # Then the first counts (no breach), and the problem names the page
    assert evaluation.breaches == []
    assert [p.where for p in evaluation.problems] == ["page 2 portal 'cong-tinh'"]
    assert evaluation.records == 2


@pytest.mark.parametrize("day", [date(2023, 11, 6) + timedelta(days=n) for n in range(7)])
def test_portals_are_checked_every_day_by_default(
    day: date, soctrang_2023: Directory, rules: RulesConfig
) -> None:
    assert PortalStaleCheck(day, soctrang_2023, rules).scheduled


def test_a_disabled_rule_is_never_scheduled(
    soctrang_2023: Directory, configure: Callable[[dict[str, Any]], RulesConfig]
) -> None:
    off = configure({"rules.portal_stale.enabled": False})
    assert not PortalStaleCheck(date(2023, 11, 6), soctrang_2023, off).scheduled


def test_days_without_post_is_the_notice_s_formula() -> None:
    assert days_without_post(date(2023, 11, 1), date(2023, 11, 1)) == -1
    assert days_without_post(date(2023, 11, 1), date(2023, 11, 2)) == 0
    assert days_without_post(date(2023, 11, 1), date(2023, 11, 5)) == 3
    # across a month and a year end
    assert days_without_post(date(2023, 12, 30), date(2024, 1, 2)) == 2


# --- property: N grows by one a day, first breach on P + T + 1 ---------------------------

offsets = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
post_moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=offsets
)


@given(
    moment=post_moments, threshold=st.integers(min_value=0, max_value=10), provincial=st.booleans()
)
def test_property_n_grows_by_one_a_day_and_first_breach_is_p_plus_t_plus_1(
    moment: datetime,
    threshold: int,
    provincial: bool,
    soctrang_2023: Directory,
    configure: Callable[[dict[str, Any]], RulesConfig],
    make_portal: PortalFactory,
) -> None:
    # Given a last post at any moment, written with any offset, and a threshold T
    kind = "provincial" if provincial else "component"
    config = configure({f"rules.portal_stale.{kind}.threshold": threshold})
    portal = make_portal(kind=kind, last_published_at=moment.isoformat())
    # P, computed without the code under test: Vietnam is UTC+7 all year
    posted = (moment.astimezone(UTC) + timedelta(hours=7)).date()
    # When the rule runs on each of 30 consecutive days from P
    values: dict[date, int] = {}
    for n in range(30):
        day = posted + timedelta(days=n)
        result = check(day, [portal], soctrang_2023, config)
        assert result.problems == []
        values.update((b.day, b.value) for b in result.breaches)
    # Then the first breach is on P + T + 1 and N grows by exactly one a day after it
    first = min(values)
    assert first == posted + timedelta(days=threshold + 1)
    assert values[first] == threshold
    assert sorted(values) == [first + timedelta(days=n) for n in range(len(values))]
    assert [values[d] for d in sorted(values)] == list(range(threshold, threshold + len(values)))
    assert max(values) == posted + timedelta(days=29)
