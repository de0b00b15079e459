"""SMS encoding and segments: GSM-7 (160 / 153 per part) or UCS-2 (70 / 67 per part), and
the diacritic-free GSM-7 fold for gateways that take nothing else."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ioc_alerts.config import DOSSIERS_OVERDUE, PORTAL_STALE, RulesConfig
from ioc_alerts.directory import Directory
from ioc_alerts.render import Renderer
from ioc_alerts.routing import route
from ioc_alerts.rules import Breach
from ioc_alerts.sms import GSM7, UCS2, SmsText, encoding_of, fold_to_gsm7, segments_of, sms_text

Configure = Callable[[dict[str, Any]], RulesConfig]

PROVINCIAL = "Đã quá 3 ngày Sở TTTT chưa đăng tin bài trên Cổng thông tin điện tử của Tỉnh"
COMPONENT = "Đã quá 5 ngày Huyện Châu Thành chưa đăng tin bài trên Cổng thông tin điện tử"
DOSSIERS = "Xã Hồ Đắc Kiện đã trễ hạn 2 hồ sơ dịch vụ công"


# --- encoding ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Da qua 3 ngay", GSM7),
        ("", GSM7),
        ("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ!\"#¤%&'()*+,-./:;<=>?¡ÄÖÑÜ§¿äöñüà", GSM7),
        ("^{}\\[~]|€", GSM7),  # the extension table is still GSM-7
        ("Đã quá", UCS2),
        ("ê", UCS2),  # a Vietnamese letter GSM-7 does not have
        ("ç", UCS2),  # GSM-7 has Ç but not ç
        ("`", UCS2),
        ("😀", UCS2),
    ],
)
def test_gsm7_only_when_every_character_is_in_gsm_03_38(text: str, encoding: str) -> None:
    assert encoding_of(text) == encoding


def test_the_notice_s_texts_are_ucs2() -> None:
    for text in (PROVINCIAL, COMPONENT, DOSSIERS):
        assert encoding_of(text) == UCS2


# --- segments ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("length", "segments"),
    [(0, 0), (1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)],
)
def test_gsm7_segments_160_then_153_per_part(length: int, segments: int) -> None:
    text = "a" * length
    assert encoding_of(text) == GSM7
    assert segments_of(text) == segments


@pytest.mark.parametrize(
    ("length", "segments"), [(1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)]
)
def test_ucs2_segments_70_then_67_per_part(length: int, segments: int) -> None:
    text = "ă" * length
    assert encoding_of(text) == UCS2
    assert segments_of(text) == segments


@pytest.mark.parametrize("extension", ["€", "[", "]", "{", "}", "\\", "~", "|", "^"])
def test_a_gsm7_extension_character_counts_two(extension: str) -> None:
    # 158 + 2 = 160 fits one part; 159 + 2 = 161 does not
    assert segments_of("a" * 158 + extension) == 1
    assert segments_of("a" * 159 + extension) == 2


@pytest.mark.parametrize("extension", ["€", "[", "]"])
def test_a_gsm7_extension_character_never_straddles_two_parts(extension: str) -> None:
    # Given 152 + 2 + 152 = 306 septets: two full parts if the escape could be split
    text = "a" * 152 + extension + "a" * 152
    # Then the character moves whole to the second part, which pushes one septet to a third
    assert segments_of(text) == 3
    # while with the character one earlier it fits the first part exactly
    assert segments_of("a" * 151 + extension + "a" * 153) == 2


def test_an_astral_emoji_counts_two_ucs2_units_and_never_straddles() -> None:
    emoji = "😀"  # outside the BMP: a surrogate pair in UTF-16
    assert segments_of("ă" * 68 + emoji) == 1  # 70 units
    assert segments_of("ă" * 69 + emoji) == 2  # 71 units
    # 66 + 2 + 66 = 134 units: two parts, were the pair allowed to straddle
    assert segments_of("ă" * 66 + emoji + "ă" * 66) == 3
    assert segments_of("ă" * 65 + emoji + "ă" * 67) == 2


def test_with_diacritics_the_provincial_text_takes_two_parts_the_dossier_text_one() -> None:
    # The provincial text is 76 characters: over 70, so two UCS-2 parts
    assert len(PROVINCIAL) == 76
    assert segments_of(PROVINCIAL) == 2
    assert segments_of(DOSSIERS) == 1


def test_segments_may_be_counted_under_a_given_encoding() -> None:
    text = "a" * 100
    assert segments_of(text, GSM7) == 1
    assert segments_of(text, UCS2) == 2


# --- folding to GSM-7 --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        (
            PROVINCIAL,
            "Da qua 3 ngay So TTTT chua dang tin bai tren Cong thong tin dien tu cua Tinh",
        ),
        (
            COMPONENT,
            "Da qua 5 ngay Huyen Chau Thanh chua dang tin bai tren Cong thong tin dien tu",
        ),
        (DOSSIERS, "Xa Ho Dac Kien da tre han 2 ho so dich vu cong"),
    ],
)
def test_the_notice_s_texts_fold_to_one_gsm7_part(text: str, folded: str) -> None:
    # Given one of the notice's texts, with its diacritics
    # When folded for a GSM-7-only gateway
    result = fold_to_gsm7(text)
    # Then it reads without diacritics, is GSM-7 and fits one SMS
    assert result == folded
    assert encoding_of(result) == GSM7
    assert segments_of(result) == 1


def test_every_vietnamese_letter_folds_to_its_base_letter() -> None:
    lower = "aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ"
    assert (
        fold_to_gsm7(lower) == "a" * 18 + "e" * 12 + "i" * 6 + "o" * 18 + "u" * 12 + "y" * 6 + "d"
    )
    assert fold_to_gsm7(lower.upper()) == fold_to_gsm7(lower).upper()


def test_a_decomposed_text_folds_the_same_as_a_composed_one() -> None:
    assert fold_to_gsm7(unicodedata.normalize("NFD", PROVINCIAL)) == fold_to_gsm7(PROVINCIAL)


def test_a_character_with_no_gsm7_form_becomes_a_question_mark() -> None:
    assert fold_to_gsm7("Phường 1 😀 中") == "Phuong 1 ? ?"


def test_sms_text_keeps_diacritics_by_default_and_folds_on_request() -> None:
    assert sms_text(PROVINCIAL) == SmsText(PROVINCIAL, UCS2, 2)
    assert sms_text(PROVINCIAL, "gsm7") == SmsText(
        "Da qua 3 ngay So TTTT chua dang tin bai tren Cong thong tin dien tu cua Tinh", GSM7, 1
    )


def test_sms_text_counts_a_decomposed_text_as_composed() -> None:
    # Given 70 Vietnamese letters stored decomposed (140 code points)
    decomposed = unicodedata.normalize("NFD", "ầ" * 70)
    # Then the SMS is composed first: 70 UCS-2 units, one part
    sms = sms_text(decomposed)
    assert sms.text == "ầ" * 70
    assert sms.segments == 1


def test_the_gsm7_option_of_the_rules_file_folds_the_rendered_sms(
    soctrang_2023: Directory, configure: Configure
) -> None:
    # Given a rules file with sms.encoding: gsm7
    config = configure({"sms.encoding": "gsm7"})
    breach = Breach(
        PORTAL_STALE,
        "provincial",
        "STTTT",
        "cong-tinh",
        date(2023, 11, 5),
        3,
        3,
        "Cổng thông tin điện tử tỉnh Sóc Trăng",
        "https://www.soctrang.gov.vn",
        date(2023, 11, 1),
    )
    routing = route(soctrang_2023["STTTT"], soctrang_2023)
    # When the SMS is rendered
    sms = Renderer(config).sms(breach, routing)
    # Then it is the folded text, one GSM-7 part
    assert sms == SmsText(
        "Da qua 3 ngay So TTTT chua dang tin bai tren Cong thong tin dien tu cua Tinh", GSM7, 1
    )
    # while the e-mail keeps the diacritics
    email = Renderer(config).email(breach, routing, routing.contacts[0])
    assert PROVINCIAL in email.subject


def test_the_default_rules_keep_diacritics(soctrang_2023: Directory, rules: RulesConfig) -> None:
    breach = Breach(DOSSIERS_OVERDUE, "default", "31570", "31570", date(2023, 11, 6), 2, 2)
    sms = Renderer(rules).sms(breach, route(soctrang_2023["31570"], soctrang_2023))
    assert sms == SmsText(DOSSIERS, UCS2, 1)


# --- properties --------------------------------------------------------------------------

sms_characters = st.one_of(
    st.sampled_from("aZ0 @£€[]{}^~|\\\nĐđăâêôơưàảãáạ😀中"),
    st.characters(),
)


@given(st.text(alphabet=sms_characters, max_size=400))
def test_property_segments_never_decrease_as_a_text_grows(text: str) -> None:
    counts = [segments_of(text[:length]) for length in range(len(text) + 1)]
    assert counts == sorted(counts)
    for encoding in (GSM7, UCS2):
        if encoding == UCS2 or encoding_of(text) == GSM7:
            fixed = [segments_of(text[:length], encoding) for length in range(len(text) + 1)]
            assert fixed == sorted(fixed)


@given(st.text(alphabet=sms_characters, max_size=400))
def test_property_folding_always_gives_gsm7(text: str) -> None:
    folded = fold_to_gsm7(text)
    assert encoding_of(folded) == GSM7
    assert sms_text(text, "gsm7").encoding == GSM7
