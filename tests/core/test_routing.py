"""Routing: a unit's own leaders receive its alerts, except a commune's, which go to its
parent unit's leaders: the district in the 2023 three-tier map, the province in 2025."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from ioc_alerts.config import DOSSIERS_OVERDUE, RulesConfig
from ioc_alerts.directory import Contact, Directory, Level, Unit
from ioc_alerts.notifications import plan, plan_all
from ioc_alerts.routing import OWN_UNIT, PARENT_OF_COMMUNE, route
from ioc_alerts.rules import Breach

Configure = Callable[[dict[str, Any]], RulesConfig]

MONDAY = date(2023, 11, 6)


def overdue(unit_code: str, count: int = 3) -> Breach:
    return Breach(DOSSIERS_OVERDUE, "default", unit_code, unit_code, MONDAY, count, 2)


def test_a_department_s_alert_goes_to_its_own_leaders(soctrang_2023: Directory) -> None:
    # Given Sở TTTT, which has two leader contacts
    department = soctrang_2023["STTTT"]
    # When routed
    routing = route(department, soctrang_2023)
    # Then its own leaders receive it, as the unit concerned
    assert routing.recipient_unit is department
    assert routing.contacts == department.contacts
    assert routing.reason == OWN_UNIT
    assert routing.routable


def test_a_district_s_alert_goes_to_its_own_leaders(soctrang_2023: Directory) -> None:
    routing = route(soctrang_2023["942"], soctrang_2023)
    assert routing.recipient_unit is soctrang_2023["942"]
    assert [c.name for c in routing.contacts] == ["Huỳnh Thanh Hà", "Võ Quốc Hùng"]
    assert routing.reason == OWN_UNIT


def test_a_commune_s_alert_goes_to_its_district_in_the_2023_map(soctrang_2023: Directory) -> None:
    # Given Xã Hồ Đắc Kiện, a commune of Huyện Châu Thành (three tiers)
    commune = soctrang_2023["31570"]
    # When routed
    routing = route(commune, soctrang_2023)
    # Then the alert is still about the commune, but the district's leaders receive it
    assert routing.unit is commune
    assert routing.recipient_unit is soctrang_2023["942"]
    assert routing.contacts == soctrang_2023["942"].contacts
    assert routing.reason == PARENT_OF_COMMUNE


def test_a_commune_s_alert_goes_to_the_province_in_the_2025_map(cantho_2025: Directory) -> None:
    # Given Phường Ninh Kiều directly under Thành phố Cần Thơ (two tiers, no districts)
    routing = route(cantho_2025["31135"], cantho_2025)
    # Then the province's leaders receive it: the same code follows the directory's map
    assert routing.recipient_unit is cantho_2025["92"]
    assert routing.contacts == cantho_2025["92"].contacts
    assert routing.reason == PARENT_OF_COMMUNE


def test_a_commune_s_own_contacts_are_not_used(soctrang_2023: Directory) -> None:
    # Given a commune that did send a contact of its own
    own = Contact("Cán bộ xã", "+84900019999", "xa.31573@example.gov.vn")
    directory = Directory.build(
        [*soctrang_2023.values(), Unit("31573", "Xã Phú Tâm", Level.COMMUNE, "942", None, (own,))]
    )
    # When routed
    routing = route(directory["31573"], directory)
    # Then the notice still applies: the district's leaders receive it
    assert own not in routing.contacts
    assert routing.recipient_unit is directory["942"]


# --- unroutable breaches are kept, with the reason ---------------------------------------


def test_a_commune_whose_parent_has_no_contact_is_unroutable_with_the_reason(
    rules: RulesConfig,
) -> None:
    # Given Huyện Kế Sách without any leader contact yet, and one of its communes
    directory = Directory.build(
        [
            Unit("94", "Tỉnh Sóc Trăng", Level.PROVINCE),
            Unit("943", "Huyện Kế Sách", Level.DISTRICT, "94"),
            Unit("31528", "Thị trấn Kế Sách", Level.COMMUNE, "943"),
        ]
    )
    # When the commune's breach is planned
    routed = plan(overdue("31528"), directory, rules)
    # Then it is kept, with no notification and a reason naming the parent unit
    assert routed.breach == overdue("31528")
    assert routed.notifications == ()
    assert routed.routing.recipient_unit is directory["943"]
    assert routed.unroutable_reason == "unit 943 has no leader contact in the directory"


def test_a_commune_without_a_parent_is_unroutable_with_the_reason(rules: RulesConfig) -> None:
    directory = Directory.build([Unit("31135", "Phường Ninh Kiều", Level.COMMUNE)])
    routed = plan(overdue("31135"), directory, rules)
    assert routed.routing.recipient_unit is None
    assert not routed.routing.routable
    assert routed.unroutable_reason == "commune 31135 has no parent unit in the directory"


def test_a_unit_with_contacts_but_no_address_for_the_channel_is_unroutable(
    configure: Configure,
) -> None:
    # Given a department whose only leader contact has an e-mail but no phone,
    # and a rules file that sends dossier alerts by SMS only
    email_only = Contact("Nguyễn Văn An", None, "giamdoc.stttt@example.gov.vn", "Giám đốc")
    directory = Directory.build(
        [
            Unit("94", "Tỉnh Sóc Trăng", Level.PROVINCE),
            Unit(
                "STTTT",
                "Sở Thông tin và Truyền thông",
                Level.DEPARTMENT,
                "94",
                "Sở TTTT",
                (email_only,),
            ),
        ]
    )
    config = configure({"rules.dossiers_overdue.channels": ["sms"]})
    # When its breach is planned
    routed = plan(overdue("STTTT"), directory, config)
    # Then the routing found the contact, but nothing can be sent: unroutable, with why
    assert routed.routing.routable
    assert routed.notifications == ()
    assert routed.unroutable_reason == (
        "no contact of unit STTTT has a phone or e-mail for the rule's channels"
    )


def test_no_breach_is_ever_dropped(rules: RulesConfig) -> None:
    # Given breaches of a routable unit, an unroutable commune and a routable commune
    directory = Directory.build(
        [
            Unit("94", "Tỉnh Sóc Trăng", Level.PROVINCE),
            Unit("943", "Huyện Kế Sách", Level.DISTRICT, "94"),
            Unit("31528", "Thị trấn Kế Sách", Level.COMMUNE, "943"),
            Unit(
                "942",
                "Huyện Châu Thành",
                Level.DISTRICT,
                "94",
                contacts=(Contact("Huỳnh Thanh Hà", "+84900010004"),),
            ),
            Unit("31570", "Xã Hồ Đắc Kiện", Level.COMMUNE, "942"),
        ]
    )
    breaches = [overdue("942"), overdue("31528"), overdue("31570")]
    # When all are planned
    routed = list(plan_all(breaches, directory, rules))
    # Then every breach comes out, in order, routable or not
    assert [r.breach for r in routed] == breaches
    assert [r.unroutable_reason is None for r in routed] == [True, False, True]
