"""SMS encoding and segments: what a text costs once it leaves as one or more SMS parts.

GSM 03.38 (GSM-7): 160 characters in one part, 153 per part when split; characters of its
extension table count twice and never straddle two parts. Anything outside it (almost every
Vietnamese letter with a diacritic) makes the whole message UCS-2: 70 UTF-16 units in one
part, 67 per part, and a surrogate pair never straddles two parts.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

GSM7 = "GSM-7"
UCS2 = "UCS-2"

_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

_LIMITS = {GSM7: (160, 153), UCS2: (70, 67)}

# Letters that NFD does not decompose into base letter + combining marks.
_FOLD = str.maketrans({"đ": "d", "Đ": "D", "ð": "d", "Ð": "D"})


@dataclass(frozen=True, slots=True)
class SmsText:
    text: str
    encoding: str  # GSM7 | UCS2
    segments: int


def encoding_of(text: str) -> str:
    allowed = _GSM7_BASIC | _GSM7_EXTENSION
    return GSM7 if all(ch in allowed for ch in text) else UCS2


def _unit_cost(ch: str, encoding: str) -> int:
    if encoding == GSM7:
        return 2 if ch in _GSM7_EXTENSION else 1
    return 2 if ord(ch) > 0xFFFF else 1  # UTF-16 code units


def segments_of(text: str, encoding: str | None = None) -> int:
    """How many SMS parts the text is sent as (0 for an empty text)."""
    encoding = encoding or encoding_of(text)
    single, per_part = _LIMITS[encoding]
    costs = [_unit_cost(ch, encoding) for ch in text]
    if sum(costs) <= single:
        return 1 if costs else 0
    parts, used = 1, 0
    for cost in costs:
        if used + cost > per_part:
            parts, used = parts + 1, 0
        used += cost
    return parts


def fold_to_gsm7(text: str) -> str:
    """Vietnamese without diacritics ("Đã quá" -> "Da qua"), for gateways that take GSM-7 only.
    A character that still has no GSM-7 form becomes '?'."""
    decomposed = unicodedata.normalize("NFD", text.translate(_FOLD))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    allowed = _GSM7_BASIC | _GSM7_EXTENSION
    return "".join(ch if ch in allowed else "?" for ch in unicodedata.normalize("NFC", stripped))


def sms_text(text: str, encoding: str = "unicode") -> SmsText:
    """The SMS as sent under the configured encoding ("unicode" keeps diacritics, "gsm7" folds)."""
    text = unicodedata.normalize("NFC", text)
    if encoding == "gsm7":
        text = fold_to_gsm7(text)
    actual = encoding_of(text)
    return SmsText(text, actual, segments_of(text, actual))
