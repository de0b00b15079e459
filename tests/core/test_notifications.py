"""Notifications: one breach x one recipient contact x one channel with an address."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from ioc_alerts.config import DOSSIERS_OVERDUE, PORTAL_STALE, RulesConfig
from ioc_alerts.directory import Contact, Directory, Level, Unit
from ioc_alerts.notifications import EMAIL, SMS, channels_for, plan
from ioc_alerts.rules import Breach

Configure = Callable[[dict[str, Any]], RulesConfig]

MONDAY = date(2023, 11, 6)


def overdue(unit_code: str, day: date = MONDAY) -> Breach:
    return Breach(DOSSIERS_OVERDUE, "default", unit_code, unit_code, day, 3, 2)


def stale(unit_code: str, portal_id: str, day: date = MONDAY) -> Breach:
    return Breach(PORTAL_STALE, "component", unit_code, portal_id, day, 5, 5)


def district_with(*contacts: Contact) -> Directory:
    return Directory.build(
        [
            Unit("94", "Tỉnh Sóc Trăng", Level.PROVINCE),
            Unit("942", "Huyện Châu Thành", Level.DISTRICT, "94", contacts=contacts),
            Unit("31570", "Xã Hồ Đắc Kiện", Level.COMMUNE, "942"),
        ]
    )


def test_fan_out_is_every_contact_on_every_channel(
    soctrang_2023: Directory, rules: RulesConfig
) -> None:
    # Given Huyện Châu Thành with two leaders, each with a phone and an e-mail,
    # and the default channels [sms, email]
    # When a breach of one of its communes is planned
    routed = plan(overdue("31570"), soctrang_2023, rules)
    # Then there are 2 contacts x 2 channels = 4 notifications, contact by contact
    assert [(n.contact.name, n.channel, n.to) for n in routed.notifications] == [
        ("Huỳnh Thanh Hà", SMS, "+84900010004"),
        ("Huỳnh Thanh Hà", EMAIL, "chutich.942@example.gov.vn"),
        ("Võ Quốc Hùng", SMS, "+84900010005"),
        ("Võ Quốc Hùng", EMAIL, "phochutich.942@example.gov.vn"),
    ]
    assert routed.unroutable_reason is None


@pytest.mark.parametrize(
    ("contacts", "channels", "expected"),
    [
        # a phone-only and an e-mail-only leader: one notification each
        (
            (Contact("A", "+84900010101"), Contact("B", None, "b@example.gov.vn")),
            ["sms", "email"],
            [("A", SMS), ("B", EMAIL)],
        ),
        # SMS only: the e-mail-only leader is skipped, not the breach
        (
            (Contact("A", "+84900010101"), Contact("B", None, "b@example.gov.vn")),
            ["sms"],
            [("A", SMS)],
        ),
        (
            (Contact("A", "+84900010101", "a@example.gov.vn"),),
            ["email"],
            [("A", EMAIL)],
        ),
        # a channel listed twice in the rules file is sent once
        (
            (Contact("A", "+84900010101", "a@example.gov.vn"),),
            ["sms", "sms", "email"],
            [("A", SMS), ("A", EMAIL)],
        ),
    ],
)
def test_fan_out_counts_only_channels_the_contact_has_an_address_for(
    contacts: tuple[Contact, ...],
    channels: list[str],
    expected: list[tuple[str, str]],
    configure: Configure,
) -> None:
    config = configure({"rules.dossiers_overdue.channels": channels})
    routed = plan(overdue("942"), district_with(*contacts), config)
    assert [(n.contact.name, n.channel) for n in routed.notifications] == expected


def test_channels_come_from_the_breach_s_rule(configure: Configure) -> None:
    config = configure({"rules.portal_stale.channels": ["email"]})
    assert channels_for(config, stale("942", "cong-942")) == ["email"]
    assert channels_for(config, overdue("942")) == ["sms", "email"]


def test_notification_ids_are_stable_across_runs(
    soctrang_2023: Directory, rules: RulesConfig
) -> None:
    # Given the same breach planned twice (a retried run of the same day)
    first = plan(overdue("31570"), soctrang_2023, rules)
    again = plan(overdue("31570"), soctrang_2023, rules)
    # Then the ids are identical: they are the idempotency keys of the sends
    assert [n.notification_id for n in first.notifications] == [
        n.notification_id for n in again.notifications
    ]
    assert first.notifications[0].notification_id.startswith(
        "dossiers_overdue#31570#2023-11-06#sms#"
    )


def test_notification_ids_are_distinct_per_breach_day_channel_and_contact(
    soctrang_2023: Directory, rules: RulesConfig
) -> None:
    # Given several breaches: two units, two portals of one unit, and another day
    breaches = [
        overdue("31570"),
        overdue("942"),
        overdue("942", date(2023, 11, 13)),
        stale("942", "cong-942"),
        stale("942", "cong-942-old"),
    ]
    # When all are planned
    ids = [
        n.notification_id
        for breach in breaches
        for n in plan(breach, soctrang_2023, rules).notifications
    ]
    # Then every notification has its own id
    assert len(ids) == 5 * 4
    assert len(set(ids)) == len(ids)


def test_the_contact_id_carries_no_phone_or_e_mail() -> None:
    contact = Contact("Nguyễn Văn An", "+84900010043", "GiamDoc.STTTT@example.gov.vn")
    assert len(contact.contact_id) == 16
    assert "900010043" not in contact.contact_id
    assert "example" not in contact.contact_id
    # the e-mail's case does not make a different person
    same = Contact("Nguyễn Văn An", "+84900010043", "giamdoc.stttt@example.gov.vn")
    assert same.contact_id == contact.contact_id
