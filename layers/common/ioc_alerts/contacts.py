"""Phone numbers and e-mail addresses as units send them, checked and put in one canonical form.

Used by the directory file loader (a command-line tool), so the checking libraries are not
part of the Lambda layer's runtime dependencies.
"""

from __future__ import annotations

import unicodedata

import phonenumbers
from email_validator import EmailNotValidError, validate_email

# Units write national numbers ("0912 345 678"); the region lets those parse.
DEFAULT_REGION = "VN"


def _nfc(raw: str) -> str:
    return unicodedata.normalize("NFC", raw).strip()


def normalise_phone(raw: str) -> str:
    """The number in E.164 ("+84912345678"); ValueError when it is not a valid number."""
    text = _nfc(raw)
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"{text!r} is not a phone number; expected e.g. 0912 345 678") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError(
            f"{text!r} is not a valid phone number; expected a Vietnamese number such as "
            "0912 345 678 or an international one starting with +"
        )
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def normalise_email(raw: str) -> str:
    """The address as email_validator normalises it (domain lower-cased); ValueError if invalid.

    Deliverability (DNS) is not checked: loading a directory must not depend on the network.
    """
    text = _nfc(raw)
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(
            f"{text!r} is not a valid e-mail address ({exc}); expected e.g. name@example.gov.vn"
        ) from exc
