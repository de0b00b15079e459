"""Shared test data: small directories built from real unit names and codes (see
../shared/reference/), invented contacts, the bundled rules, and record factories.

Contacts are invented: +84 900 01x xxx numbers and @example.gov.vn addresses, never a real
person's. Dates in tests are always pinned: nothing here asks for the current time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ioc_alerts.config import RulesConfig, load_rules
from ioc_alerts.directory import Contact, Directory, Level, Unit
from ioc_alerts.records import DossierRecord, PortalRecord

PortalFactory = Callable[..., PortalRecord]
DossierFactory = Callable[..., DossierRecord]
Configure = Callable[[dict[str, Any]], RulesConfig]


def _contact(number: int, name: str, title: str, mailbox: str) -> Contact:
    return Contact(
        name=name,
        phone=f"+849000{number:05d}",
        email=f"{mailbox}@example.gov.vn",
        title=title,
    )


@pytest.fixture(scope="session")
def soctrang_2023() -> Directory:
    """Sóc Trăng in 2023, three tiers: province -> department / district -> commune.

    The commune has no contacts of its own: its alerts go to the district's leaders.
    """
    return Directory.build(
        [
            Unit(
                "94",
                "Tỉnh Sóc Trăng",
                Level.PROVINCE,
                contacts=(_contact(10001, "Trần Thị Bình", "Phó Chủ tịch UBND tỉnh", "ubnd.94"),),
            ),
            Unit(
                "STTTT",
                "Sở Thông tin và Truyền thông",
                Level.DEPARTMENT,
                parent="94",
                short_name="Sở TTTT",
                contacts=(
                    _contact(10043, "Nguyễn Văn An", "Giám đốc", "giamdoc.stttt"),
                    _contact(10044, "Lê Thị Mai", "Phó Giám đốc", "phogiamdoc.stttt"),
                ),
            ),
            Unit(
                "942",
                "Huyện Châu Thành",
                Level.DISTRICT,
                parent="94",
                contacts=(
                    _contact(10004, "Huỳnh Thanh Hà", "Chủ tịch UBND", "chutich.942"),
                    _contact(10005, "Võ Quốc Hùng", "Phó Chủ tịch UBND", "phochutich.942"),
                ),
            ),
            Unit("31570", "Xã Hồ Đắc Kiện", Level.COMMUNE, parent="942"),
        ],
        source="soctrang-2023 (test)",
    )


@pytest.fixture(scope="session")
def cantho_2025() -> Directory:
    """Cần Thơ after July 2025, two tiers: the province is a commune's parent."""
    return Directory.build(
        [
            Unit(
                "92",
                "Thành phố Cần Thơ",
                Level.PROVINCE,
                contacts=(_contact(20001, "Phạm Minh Tâm", "Chủ tịch UBND", "chutich.92"),),
            ),
            Unit("31135", "Phường Ninh Kiều", Level.COMMUNE, parent="92"),
        ],
        source="cantho-2025 (test)",
    )


@pytest.fixture(scope="session")
def rules() -> RulesConfig:
    """The bundled rules file: the notice's thresholds, schedules and texts."""
    return load_rules()


@pytest.fixture(scope="session")
def configure(rules: RulesConfig) -> Configure:
    """The bundled rules with some settings changed, validated like a rules file.

    `configure({"rules.dossiers_overdue.schedule.days": ["mon", "thu"]})`
    """

    def changed(changes: dict[str, Any]) -> RulesConfig:
        data = rules.model_dump()
        for dotted, value in changes.items():
            *parents, last = dotted.split(".")
            node = data
            for key in parents:
                node = node[key]
            node[last] = value
        return RulesConfig.model_validate(data)

    return changed


@pytest.fixture(scope="session")
def make_portal() -> PortalFactory:
    """A portal record as the metrics API sends it (validated by the real model)."""

    def portal(**fields: Any) -> PortalRecord:
        item = {
            "portal_id": "cong-tinh",
            "name": "Cổng thông tin điện tử tỉnh Sóc Trăng",
            "url": "https://www.soctrang.gov.vn",
            "kind": "provincial",
            "unit_code": "STTTT",
            "last_published_at": "2023-11-01T10:00:00+07:00",
        }
        return PortalRecord.model_validate(item | fields)

    return portal


@pytest.fixture(scope="session")
def make_dossier() -> DossierFactory:
    """An overdue-dossier record as the metrics API sends it."""

    def dossier(unit_code: str = "942", overdue_count: int = 2) -> DossierRecord:
        return DossierRecord.model_validate(
            {"unit_code": unit_code, "overdue_count": overdue_count}
        )

    return dossier
