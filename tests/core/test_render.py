"""Rendering: the SMS text and the e-mail (subject, text, HTML) of a notification.

Data only fills variables: a hostile unit name stays text, never markup, never a header
line, never template code.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

import pytest

from ioc_alerts.config import DOSSIERS_OVERDUE, PORTAL_STALE, RulesConfig
from ioc_alerts.directory import Contact, Directory, Level, Unit
from ioc_alerts.render import Email, Renderer, context
from ioc_alerts.routing import route
from ioc_alerts.rules import Breach

SUNDAY = date(2023, 11, 5)
MONDAY = date(2023, 11, 6)


def provincial_portal_breach(day: date = SUNDAY, days: int = 3) -> Breach:
    return Breach(
        rule=PORTAL_STALE,
        variant="provincial",
        unit_code="STTTT",
        subject="cong-tinh",
        day=day,
        value=days,
        threshold=3,
        portal_name="Cổng thông tin điện tử tỉnh Sóc Trăng",
        portal_url="https://www.soctrang.gov.vn",
        last_published_on=date(2023, 11, 1),
    )


def overdue(unit_code: str, count: int = 2) -> Breach:
    return Breach(DOSSIERS_OVERDUE, "default", unit_code, unit_code, MONDAY, count, 2)


def email_for(breach: Breach, directory: Directory, config: RulesConfig) -> Email:
    routing = route(directory[breach.unit_code], directory)
    return Renderer(config).email(breach, routing, routing.contacts[0])


# --- the unit's name in texts ------------------------------------------------------------


def test_the_short_name_is_used_when_the_unit_has_one(
    soctrang_2023: Directory, rules: RulesConfig
) -> None:
    # Given Sở Thông tin và Truyền thông, short name "Sở TTTT"
    routing = route(soctrang_2023["STTTT"], soctrang_2023)
    # When its SMS is rendered
    sms = Renderer(rules).sms(overdue("STTTT"), routing)
    # Then the text names it by its short name
    assert sms.text == "Sở TTTT đã trễ hạn 2 hồ sơ dịch vụ công"


def test_the_name_is_used_when_the_unit_has_no_short_name(
    soctrang_2023: Directory, rules: RulesConfig
) -> None:
    routing = route(soctrang_2023["942"], soctrang_2023)
    sms = Renderer(rules).sms(overdue("942"), routing)
    assert sms.text == "Huyện Châu Thành đã trễ hạn 2 hồ sơ dịch vụ công"


def test_sms_texts_are_nfc_even_when_the_directory_is_not(rules: RulesConfig) -> None:
    # Given a unit name stored decomposed (NFD), as some spreadsheets save it
    nfd_name = unicodedata.normalize("NFD", "Xã Hồ Đắc Kiện")
    directory = Directory.build(
        [
            Unit(
                "942", "Huyện Châu Thành", Level.DISTRICT, contacts=(Contact("A", "+84900010004"),)
            ),
            Unit("31570", nfd_name, Level.COMMUNE, "942"),
        ]
    )
    # When the SMS is rendered
    sms = Renderer(rules).sms(overdue("31570", 3), route(directory["31570"], directory))
    # Then it is NFC: one code point per Vietnamese letter, as the segment count assumes
    assert unicodedata.is_normalized("NFC", sms.text)
    assert sms.text == "Xã Hồ Đắc Kiện đã trễ hạn 3 hồ sơ dịch vụ công"


# --- the e-mail --------------------------------------------------------------------------


def test_portal_email_says_what_why_and_where_to_look(
    soctrang_2023: Directory, rules: RulesConfig
) -> None:
    # Given the provincial portal's breach on Sunday 5 Nov (3 days, last post 1 Nov)
    # When the e-mail to Sở TTTT's first leader is rendered
    email = email_for(provincial_portal_breach(), soctrang_2023, rules)
    # Then the subject is the SMS text, tagged
    assert email.subject == (
        "[Cảnh báo IOC] Đã quá 3 ngày Sở TTTT chưa đăng tin bài trên Cổng thông tin điện tử "
        "của Tỉnh"
    )
    # and both bodies carry the value, threshold, last post date, portal and unit
    for body in (email.text, email.html):
        assert unicodedata.is_normalized("NFC", body)
        assert "Kính gửi Giám đốc Nguyễn Văn An," in body
        assert "3 ngày" in body
        assert "ngưỡng cảnh báo: 3 ngày" in body
        assert "01/11/2023" in body
        assert "https://www.soctrang.gov.vn" in body
        assert "Cổng thông tin điện tử tỉnh Sóc Trăng" in body
        assert "Sở Thông tin và Truyền thông (mã STTTT)" in body
        assert "Chủ Nhật, 05/11/2023" in body
        # why this recipient: the leaders of the unit concerned
        assert (
            "Anh/Chị là đại diện lãnh đạo của Sở Thông tin và Truyền thông, "
            "đơn vị được cảnh báo." in body
        )
        assert "cấp xã" not in body
        assert "Hệ thống giám sát điều hành tỉnh Sóc Trăng" in body
    assert '<a href="https://www.soctrang.gov.vn">' in email.html
    assert email.text.endswith("\n")
    assert not email.text.endswith("\n\n")


def test_commune_email_explains_why_the_district_receives_it(
    soctrang_2023: Directory, rules: RulesConfig
) -> None:
    # Given Xã Hồ Đắc Kiện with 3 overdue dossiers, routed to Huyện Châu Thành
    # When the e-mail to the district's first leader is rendered
    email = email_for(overdue("31570", 3), soctrang_2023, rules)
    # Then it names the commune, the count and threshold, and says why the district gets it
    assert email.subject == "[Cảnh báo IOC] Xã Hồ Đắc Kiện đã trễ hạn 3 hồ sơ dịch vụ công"
    for body in (email.text, email.html):
        assert "Kính gửi Chủ tịch UBND Huỳnh Thanh Hà," in body
        assert "Xã Hồ Đắc Kiện (mã 31570)" in body
        assert "ngưỡng cảnh báo: 2 hồ sơ" in body
        assert "Xã Hồ Đắc Kiện là đơn vị cấp xã trực thuộc Huyện Châu Thành" in body
        assert "đơn vị được cảnh báo" not in body
        assert "Thứ Hai, 06/11/2023" in body
    assert "<strong>3</strong>" in email.html


def test_commune_email_in_the_2025_map_names_the_province_as_parent(
    cantho_2025: Directory, rules: RulesConfig
) -> None:
    email = email_for(overdue("31135", 4), cantho_2025, rules)
    assert "Phường Ninh Kiều là đơn vị cấp xã trực thuộc Thành phố Cần Thơ" in email.text
    assert "Phường Ninh Kiều là đơn vị cấp xã trực thuộc Thành phố Cần Thơ" in email.html


def test_a_contact_without_a_title_is_greeted_by_name_alone(
    soctrang_2023: Directory, rules: RulesConfig
) -> None:
    routing = route(soctrang_2023["942"], soctrang_2023)
    contact = Contact("Võ Quốc Hùng", None, "phochutich.942@example.gov.vn")
    email = Renderer(rules).email(overdue("942"), routing, contact)
    assert "Kính gửi Võ Quốc Hùng," in email.text


def test_the_template_variables_are_documented_names(soctrang_2023: Directory) -> None:
    # Given a portal breach routed to its own unit
    routing = route(soctrang_2023["STTTT"], soctrang_2023)
    # When the template context is built
    variables = context(provincial_portal_breach(), routing)
    # Then it has the values templates rely on
    assert variables["days"] == 3
    assert variables["count"] is None
    assert variables["unit"] == "Sở TTTT"
    assert variables["unit_name"] == "Sở Thông tin và Truyền thông"
    assert variables["last_published_on"] == "01/11/2023"
    assert variables["date"] == "05/11/2023"
    assert variables["own_unit"] is True
    assert variables["recipient_name"] is None


# --- hostile unit names ------------------------------------------------------------------

HOSTILE_NAMES = [
    "<script>alert(1)</script>",
    "Xã A\r\nBcc: x@example.com",
    "Xã B\nSubject: khác",
    "Xã C\u2028Bcc: y@example.com",  # a Unicode line separator
    "Xã D\x85Bcc: z@example.com",  # NEL
    "{{ 7*7 }}",
    "{% raw %}",
    "{% for x in range(3) %}X{% endfor %}",
    '"><img src=x onerror=alert(1)>',
]


@pytest.mark.parametrize("hostile", HOSTILE_NAMES)
def test_a_hostile_unit_name_is_only_ever_text(hostile: str, rules: RulesConfig) -> None:
    # Given a commune whose name (from a directory file) holds markup, header lines or
    # template syntax, under a district with a leader
    leader = Contact("Huỳnh Thanh Hà", "+84900010004", "chutich.942@example.gov.vn")
    directory = Directory.build(
        [
            Unit("942", "Huyện Châu Thành", Level.DISTRICT, contacts=(leader,)),
            Unit("31570", hostile, Level.COMMUNE, "942"),
        ]
    )
    routing = route(directory["31570"], directory)
    renderer = Renderer(rules)
    # When its SMS and e-mail are rendered
    sms = renderer.sms(overdue("31570", 2), routing)
    email = renderer.email(overdue("31570", 2), routing, leader)
    # Then the SMS and the subject are single lines
    for line in (sms.text, email.subject):
        assert not re.search(r"[\r\n\x85\u2028\u2029]", line)
    assert email.subject.startswith("[Cảnh báo IOC] ")
    assert sms.text.endswith(" đã trễ hạn 2 hồ sơ dịch vụ công")
    # and the HTML never carries the name's markup
    assert "<script>" not in email.html
    assert "<img" not in email.html
    # and template syntax in the name is shown, not evaluated
    for rendered in (sms.text, email.subject, email.text, email.html):
        assert "49" not in rendered
        assert "XXX" not in rendered


def test_hostile_markup_is_escaped_in_the_html_and_kept_as_text_elsewhere(
    rules: RulesConfig,
) -> None:
    leader = Contact("Huỳnh Thanh Hà", "+84900010004", "chutich.942@example.gov.vn")
    directory = Directory.build(
        [
            Unit("942", "Huyện Châu Thành", Level.DISTRICT, contacts=(leader,)),
            Unit("31570", "<script>alert(1)</script> {{ 7*7 }}", Level.COMMUNE, "942"),
        ]
    )
    routing = route(directory["31570"], directory)
    email = Renderer(rules).email(overdue("31570"), routing, leader)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; {{ 7*7 }}" in email.html
    assert "<script>alert(1)</script> {{ 7*7 }} đã trễ hạn" in email.subject
    assert "<script>alert(1)</script> {{ 7*7 }} (mã 31570)" in email.text


def test_a_quote_in_the_portal_url_cannot_leave_the_href(
    soctrang_2023: Directory, rules: RulesConfig
) -> None:
    # Given a portal URL (valid for the API: http(s), no spaces) holding a quote
    breach = Breach(
        PORTAL_STALE,
        "component",
        "942",
        "cong-942",
        MONDAY,
        5,
        5,
        "Cổng thông tin điện tử Huyện Châu Thành",
        'https://942.soctrang.gov.vn/"onmouseover="alert(1)',
        date(2023, 10, 31),
    )
    # When the e-mail is rendered
    email = email_for(breach, soctrang_2023, rules)
    # Then the quote is escaped inside the attribute
    assert '"onmouseover="' not in email.html
    assert "&#34;onmouseover=&#34;alert(1)" in email.html
