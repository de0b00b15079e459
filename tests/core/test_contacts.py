"""Phones and e-mail addresses from contact sheets: checked and put in canonical form."""

from __future__ import annotations

import unicodedata

import pytest

from ioc_alerts.contacts import normalise_email, normalise_phone


@pytest.mark.parametrize(
    "typed",
    [
        "0900010002",
        "0900 010 002",
        "0900.010.002",
        "+84 900 010 002",
        "84900010002",
        "900010002",  # a spreadsheet dropped the leading 0
        "  0900 010 002\n",
    ],
)
def test_a_phone_typed_any_usual_way_becomes_e164(typed: str) -> None:
    # Given a Vietnamese mobile number as people type it / When it is normalised
    # Then it is in E.164
    assert normalise_phone(typed) == "+84900010002"


@pytest.mark.parametrize("typed", ["0900 01", "12345", "không có", "", "+84 900 010 002 999"])
def test_a_phone_that_is_not_a_valid_number_is_refused_quoting_it(typed: str) -> None:
    # Given something that is not a valid phone number / When it is normalised
    with pytest.raises(ValueError, match="phone number") as error:
        normalise_phone(typed)
    # Then the message quotes what was given
    assert repr(typed.strip()) in str(error.value)


def test_an_email_is_checked_and_its_domain_lower_cased() -> None:
    # Given an address typed with capitals and spaces / When it is normalised
    # Then the domain is lower case and the spaces are gone
    assert normalise_email(" Lanhdao1.941@Example.GOV.VN ") == "Lanhdao1.941@example.gov.vn"


def test_an_nfd_email_comes_back_nfc() -> None:
    # Given an address whose diacritics arrive decomposed (NFD), as some Mac tools write them
    nfc = "lãnhđạo.941@example.gov.vn"
    # When it is normalised / Then it is NFC
    assert normalise_email(unicodedata.normalize("NFD", nfc)) == nfc


@pytest.mark.parametrize(
    "typed", ["lanhdao1.941@", "lanhdao1.941 example.gov.vn", "lanhdao@localhost", ""]
)
def test_an_email_that_is_not_an_address_is_refused_quoting_it(typed: str) -> None:
    # Given something that is not an e-mail address / When it is normalised
    with pytest.raises(ValueError, match="not a valid e-mail address") as error:
        normalise_email(typed)
    # Then the message quotes what was given and says what was expected
    assert repr(typed) in str(error.value)
    assert "expected" in str(error.value)
