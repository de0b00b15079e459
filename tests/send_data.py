"""Shared data of the send-function tests (in-process and over HTTP): real sample units and
their invented contacts, and the breaches the notice describes."""

from __future__ import annotations

from datetime import date

from ioc_alerts.rules import Breach

MONDAY = date(2023, 11, 6)
PORTAL_TEXT = "Đã quá 4 ngày Sở TTTT chưa đăng tin bài trên Cổng thông tin điện tử của Tỉnh"
STTTT_PHONES = ["+84900010043", "+84900010044"]
STTTT_EMAILS = ["lanhdao1.stttt@example.gov.vn", "lanhdao2.stttt@example.gov.vn"]
HOSTILE = "X\r\nBcc: attacker@example.com <script>alert(1)</script>{{ 7*7 }}"


def portal_breach() -> Breach:
    """The provincial portal, 4 whole days without a post on Monday."""
    return Breach(
        "portal_stale",
        "provincial",
        "STTTT",
        "cong-tinh",
        MONDAY,
        4,
        3,
        "Cổng thông tin điện tử tỉnh Sóc Trăng",
        "https://www.soctrang.gov.vn",
        date(2023, 11, 1),
    )


def overdue_breach(unit: str) -> Breach:
    """Three overdue dossiers on Monday (threshold 2)."""
    return Breach("dossiers_overdue", "default", unit, unit, MONDAY, 3, 2)
