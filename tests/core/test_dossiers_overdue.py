"""Rule 2 of the notice: a unit with 2 or more overdue dossiers is alerted every Monday,
with its current count (which grows while the unit leaves them)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from typing import Any

import pytest

from ioc_alerts.config import DOSSIERS_OVERDUE, RulesConfig
from ioc_alerts.directory import Directory
from ioc_alerts.records import DossierRecord
from ioc_alerts.render import Renderer
from ioc_alerts.routing import route
from ioc_alerts.rules import Breach, DossiersOverdueCheck
from ioc_alerts.vietnam_time import parse_timestamp, vietnam_date

DossierFactory = Callable[..., DossierRecord]
Configure = Callable[[dict[str, Any]], RulesConfig]

MONDAY = date(2023, 11, 6)


def check(
    day: date, records: Iterable[DossierRecord], directory: Directory, config: RulesConfig
) -> DossiersOverdueCheck:
    evaluation = DossiersOverdueCheck(day, directory, config)
    evaluation.add(records)
    return evaluation


def sms(breach: Breach, directory: Directory, config: RulesConfig) -> str:
    text = Renderer(config).sms(breach, route(directory[breach.unit_code], directory)).text
    assert unicodedata.is_normalized("NFC", text)
    return text


@pytest.mark.parametrize(("count", "breaches"), [(0, False), (1, False), (2, True), (7, True)])
def test_a_unit_breaches_from_2_overdue_dossiers(
    count: int,
    breaches: bool,
    soctrang_2023: Directory,
    rules: RulesConfig,
    make_dossier: DossierFactory,
) -> None:
    # Given Huyện Châu Thành with `count` overdue dossiers
    # When the rule runs on a Monday
    result = check(MONDAY, [make_dossier("942", count)], soctrang_2023, rules)
    # Then it breaches from the threshold 2 on, with the current count as value
    assert [b.value for b in result.breaches] == ([count] if breaches else [])
    assert result.problems == []


def test_a_breach_names_the_unit_and_its_count(
    soctrang_2023: Directory, rules: RulesConfig, make_dossier: DossierFactory
) -> None:
    (breach,) = check(MONDAY, [make_dossier("942", 2)], soctrang_2023, rules).breaches
    assert breach == Breach(
        rule=DOSSIERS_OVERDUE,
        variant="default",
        unit_code="942",
        subject="942",
        day=MONDAY,
        value=2,
        threshold=2,
    )
    assert breach.breach_id == "dossiers_overdue#942#2023-11-06"


@pytest.mark.parametrize(
    ("unit_code", "count", "expected"),
    [
        ("STTTT", 2, "Sở TTTT đã trễ hạn 2 hồ sơ dịch vụ công"),
        ("942", 2, "Huyện Châu Thành đã trễ hạn 2 hồ sơ dịch vụ công"),
        ("942", 7, "Huyện Châu Thành đã trễ hạn 7 hồ sơ dịch vụ công"),
        # a commune's alert goes to the district but names the commune
        ("31570", 3, "Xã Hồ Đắc Kiện đã trễ hạn 3 hồ sơ dịch vụ công"),
    ],
)
def test_the_text_is_the_notice_s_verbatim_with_the_current_count(
    unit_code: str,
    count: int,
    expected: str,
    soctrang_2023: Directory,
    rules: RulesConfig,
    make_dossier: DossierFactory,
) -> None:
    # Given a unit with `count` overdue dossiers
    # When the rule runs on a Monday and the SMS is rendered
    (breach,) = check(MONDAY, [make_dossier(unit_code, count)], soctrang_2023, rules).breaches
    # Then the text is "<Tên đơn vị> đã trễ hạn <count> hồ sơ dịch vụ công"
    assert unicodedata.is_normalized("NFC", expected)
    assert sms(breach, soctrang_2023, rules) == expected


def test_a_commune_s_alert_in_the_2025_map_names_the_ward(
    cantho_2025: Directory, rules: RulesConfig, make_dossier: DossierFactory
) -> None:
    (breach,) = check(MONDAY, [make_dossier("31135", 4)], cantho_2025, rules).breaches
    assert sms(breach, cantho_2025, rules) == "Phường Ninh Kiều đã trễ hạn 4 hồ sơ dịch vụ công"


# --- Mondays, Vietnam time ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "scheduled"),
    [(MONDAY + timedelta(days=n), n % 7 == 0) for n in range(14)],
    ids=lambda value: value.strftime("%a-%d") if isinstance(value, date) else str(value),
)
def test_dossiers_are_checked_on_mondays_only_by_default(
    day: date, scheduled: bool, soctrang_2023: Directory, rules: RulesConfig
) -> None:
    assert DossiersOverdueCheck(day, soctrang_2023, rules).scheduled is scheduled


def test_monday_is_the_vietnam_monday_not_the_utc_one(
    soctrang_2023: Directory, rules: RulesConfig
) -> None:
    # Given the scheduler firing at 00:30 Monday in Vietnam, still Sunday in UTC
    fired = parse_timestamp("2023-11-05T17:30:00Z")
    # When the check's day is taken at the edge, in Vietnam time
    day = vietnam_date(fired)
    # Then it is Monday and the rule runs
    assert day == MONDAY
    assert DossiersOverdueCheck(day, soctrang_2023, rules).scheduled


@pytest.mark.parametrize(
    ("offset", "scheduled"),
    [(0, True), (1, False), (2, False), (3, True), (4, False), (5, False), (6, False)],
)
def test_a_rules_file_may_choose_other_days(
    offset: int, scheduled: bool, soctrang_2023: Directory, configure: Configure
) -> None:
    # Given a rules file with dossiers checked on Mondays and Thursdays
    config = configure({"rules.dossiers_overdue.schedule.days": ["mon", "thu"]})
    # When asked about each day of a week
    day = MONDAY + timedelta(days=offset)
    # Then only Monday and Thursday are scheduled
    assert DossiersOverdueCheck(day, soctrang_2023, config).scheduled is scheduled


def test_a_disabled_rule_is_not_scheduled_even_on_monday(
    soctrang_2023: Directory, configure: Configure
) -> None:
    config = configure({"rules.dossiers_overdue.enabled": False})
    assert not DossiersOverdueCheck(MONDAY, soctrang_2023, config).scheduled


def test_the_threshold_comes_from_the_rules_file(
    soctrang_2023: Directory, configure: Configure, make_dossier: DossierFactory
) -> None:
    config = configure({"rules.dossiers_overdue.threshold": 5})
    result = check(
        MONDAY, [make_dossier("942", 4), make_dossier("STTTT", 5)], soctrang_2023, config
    )
    assert [(b.unit_code, b.value, b.threshold) for b in result.breaches] == [("STTTT", 5, 5)]


# --- bad data ----------------------------------------------------------------------------


def test_an_unknown_unit_is_an_error_and_the_others_are_still_evaluated(
    soctrang_2023: Directory, rules: RulesConfig, make_dossier: DossierFactory
) -> None:
    # Given a unit code the directory does not know, between two known units
    records = [make_dossier("942", 4), make_dossier("99999", 3), make_dossier("STTTT", 2)]
    # When the rule runs
    result = check(MONDAY, records, soctrang_2023, rules)
    # Then the known units breach and the unknown one is an error naming the code
    assert [b.unit_code for b in result.breaches] == ["942", "STTTT"]
    (problem,) = result.problems
    assert (problem.severity, problem.field) == ("error", "unit_code")
    assert problem.where == "dossiers unit '99999'"
    assert "'99999'" in problem.message
    assert result.records == 3


def test_a_duplicate_unit_is_reported_and_the_first_record_counts(
    soctrang_2023: Directory, rules: RulesConfig, make_dossier: DossierFactory
) -> None:
    # Given the same unit twice: 3 overdue, then 0
    records = [make_dossier("942", 3), make_dossier("942", 0)]
    # When the rule runs
    result = check(MONDAY, records, soctrang_2023, rules)
    # Then the first counts and the second is a problem
    assert [b.value for b in result.breaches] == [3]
    (problem,) = result.problems
    assert (problem.field, problem.where) == ("unit_code", "dossiers unit '942'")
    assert "first one counts" in problem.message
