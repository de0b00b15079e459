"""The metrics input contract: pages and records, validated one item at a time."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from ioc_alerts.problems import InputError
from ioc_alerts.records import DossierRecord, PortalRecord, parse_items, parse_page


def portal_item(**fields: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "portal_id": "cong-942",
        "name": "Cổng thông tin điện tử Huyện Châu Thành",
        "url": "https://942.soctrang.gov.vn",
        "kind": "component",
        "unit_code": "942",
        "last_published_at": "2023-11-04T09:30:00+07:00",
    }
    return item | fields


# --- pages -------------------------------------------------------------------------------


def test_a_page_gives_its_items_and_the_next_page_token() -> None:
    # Given a page of the API's shape
    payload = {"items": [{"a": 1}, {"b": 2}], "next_page": "abc"}
    # When the envelope is parsed
    items, next_page = parse_page(payload, "GET /portals page 1")
    # Then the items come back untouched (each is validated later, on its own)
    assert list(items) == [{"a": 1}, {"b": 2}]
    assert next_page == "abc"


def test_the_last_page_has_no_next_page_and_may_omit_it() -> None:
    assert parse_page({"items": [], "next_page": None}, "p") == ([], None)
    assert parse_page({"items": []}, "p") == ([], None)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ([], "body"),  # a bare list is not a page
        ("items", "body"),
        (None, "body"),
        ({}, "items: Field required"),  # missing items must never read as "all clear"
        ({"itmes": []}, "items: Field required"),
        ({"items": None}, "items"),
        ({"items": {"0": {}}}, "items"),
        ({"items": [], "next_page": 2}, "next_page"),
    ],
)
def test_a_body_that_is_not_a_page_is_an_input_error_naming_the_source(
    payload: Any, expected: str
) -> None:
    # Given a body that does not have the contract's shape
    # When it is parsed as a page
    # Then it is an InputError (an outage), naming where it came from and what is wrong
    with pytest.raises(InputError) as raised:
        parse_page(payload, "GET /portals page 1")
    message = str(raised.value)
    assert message.startswith("GET /portals page 1: not a metrics page")
    assert expected in message


# --- items -------------------------------------------------------------------------------


def test_a_bad_item_is_a_problem_naming_index_field_and_id_and_the_others_are_kept() -> None:
    # Given three portal items, the middle one with a URL that is not http(s)
    items = [
        portal_item(portal_id="cong-941", unit_code="941"),
        portal_item(portal_id="cong-942", url="ftp://942.soctrang.gov.vn"),
        portal_item(portal_id="cong-943", unit_code="943"),
    ]
    # When the items are validated
    records, problems = parse_items(items, PortalRecord, "portals.json")
    # Then the two good ones are records, and the bad one is one problem that an operator
    # can find upstream: which item, which field, which portal
    assert [r.portal_id for r in records] == ["cong-941", "cong-943"]
    assert len(problems) == 1
    problem = problems[0]
    assert problem.where == "portals.json item 1 (portal_id='cong-942')"
    assert problem.field == "url"
    assert problem.severity == "error"
    assert "pattern" in problem.message


def test_item_indexes_continue_across_pages() -> None:
    # Given the second page of an API whose first page held 100 items
    items = [portal_item(), portal_item(kind="district")]
    # When validated with start=100
    _, problems = parse_items(items, PortalRecord, "GET /portals page 2", start=100)
    # Then the problem names the item's index in the whole listing
    assert problems[0].where == "GET /portals page 2 item 101 (portal_id='cong-942')"
    assert problems[0].field == "kind"


def test_an_item_that_is_not_an_object_is_a_problem_without_an_id() -> None:
    records, problems = parse_items(["cong-942", 7], PortalRecord, "portals.json")
    assert records == []
    assert [p.where for p in problems] == ["portals.json item 0", "portals.json item 1"]


def test_extra_fields_are_ignored() -> None:
    # Given an item with fields the contract does not know
    item = portal_item(views=1234, owner={"name": "x"})
    # When validated
    records, problems = parse_items([item], PortalRecord, "portals.json")
    # Then it is a record, without the extra fields
    assert problems == []
    assert records[0].portal_id == "cong-942"
    assert "views" not in records[0].model_dump()


def test_text_fields_are_trimmed_and_must_not_be_blank() -> None:
    records, problems = parse_items(
        [portal_item(unit_code=" 942 "), portal_item(portal_id="   ")], PortalRecord, "p"
    )
    assert records[0].unit_code == "942"
    assert problems[0].field == "portal_id"


def test_an_offset_timestamp_is_kept_as_the_same_instant() -> None:
    records, _ = parse_items(
        [portal_item(last_published_at="2023-11-01T17:30:00Z")], PortalRecord, "p"
    )
    assert records[0].last_published_at == datetime(
        2023, 11, 2, 0, 30, tzinfo=timezone(timedelta(hours=7))
    )


def test_null_last_published_at_is_allowed_but_the_key_is_required() -> None:
    # Given a portal never seen to post (null) and one whose feed omits the field
    missing = portal_item(portal_id="cong-943")
    del missing["last_published_at"]
    items = [portal_item(last_published_at=None), missing]
    # When validated
    records, problems = parse_items(items, PortalRecord, "portals.json")
    # Then null is a record (the rule reports it), a missing key is a problem
    assert [r.last_published_at for r in records] == [None]
    assert [(p.field, p.message) for p in problems] == [("last_published_at", "Field required")]


@pytest.mark.parametrize(
    "timestamp",
    [
        "2023-11-01T10:00:00",  # naive: no offset, the Vietnam date would be a guess
        "2023-11-01",  # a date, not a moment
        "01/11/2023 10:00",
        "20231101",  # a number-like text would otherwise be read as Unix seconds
        20231101,  # ... and this one as 1970-08-23
        1698807600,
        True,
        "",
    ],
)
def test_a_timestamp_without_an_offset_or_not_iso_8601_is_rejected(timestamp: Any) -> None:
    records, problems = parse_items(
        [portal_item(last_published_at=timestamp)], PortalRecord, "portals.json"
    )
    assert records == []
    assert problems[0].field == "last_published_at"
    assert problems[0].where == "portals.json item 0 (portal_id='cong-942')"


@pytest.mark.parametrize("count", [0, 2, 7, 10_000])
def test_overdue_count_is_a_non_negative_integer(count: int) -> None:
    records, problems = parse_items(
        [{"unit_code": "942", "overdue_count": count}], DossierRecord, "dossiers.json"
    )
    assert problems == []
    assert records == [DossierRecord(unit_code="942", overdue_count=count)]


@pytest.mark.parametrize(
    ("count", "message"),
    [
        ("3", "valid integer"),  # a string is not silently converted
        ("nhiều", "valid integer"),
        (-1, "greater than or equal to 0"),
        (True, "valid integer"),  # JSON true is not 1
        (2.0, "valid integer"),
        (None, "valid integer"),
    ],
)
def test_overdue_count_that_is_not_a_plain_count_is_rejected(count: Any, message: str) -> None:
    # Given a dossier item among good ones, with a count that is not a plain integer
    items = [
        {"unit_code": "941", "overdue_count": 0},
        {"unit_code": "942", "overdue_count": count},
        {"unit_code": "943", "overdue_count": 2},
    ]
    # When validated
    records, problems = parse_items(items, DossierRecord, "dossiers.json")
    # Then it is one problem naming the item, field and unit; the others are kept
    assert [r.unit_code for r in records] == ["941", "943"]
    assert len(problems) == 1
    assert problems[0].where == "dossiers.json item 1 (unit_code='942')"
    assert problems[0].field == "overdue_count"
    assert message in problems[0].message


def test_a_dossier_item_without_unit_code_is_a_problem() -> None:
    _, problems = parse_items([{"overdue_count": 3}], DossierRecord, "dossiers.json")
    assert (problems[0].where, problems[0].field) == ("dossiers.json item 0", "unit_code")


def test_records_are_frozen() -> None:
    record = DossierRecord(unit_code="942", overdue_count=2)
    with pytest.raises(ValueError, match="frozen"):
        record.overdue_count = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    "timestamp", ["0001-01-01T00:00:00+07:00", "9999-12-31T23:59:59-07:00", "9999-12-31T23:59:59Z"]
)
def test_a_timestamp_with_no_vietnam_date_is_a_problem_not_a_crash(timestamp: str) -> None:
    # Given a moment at the edge of the calendar, whose Vietnam date overflows, among good items
    items = [portal_item(portal_id="cong-941"), portal_item(last_published_at=timestamp)]
    # When validated
    records, problems = parse_items(items, PortalRecord, "portals.json")
    # Then it is a problem (the rule would otherwise crash for every portal)
    assert [r.portal_id for r in records] == ["cong-941"]
    assert problems[0].field == "last_published_at"
    assert "out of range" in problems[0].message


def test_a_problem_reads_as_severity_where_field_and_message() -> None:
    _, (problem,) = parse_items(
        [{"unit_code": "942", "overdue_count": "3"}], DossierRecord, "dossiers.json"
    )
    assert str(problem) == (
        "error: dossiers.json item 0 (unit_code='942') [overdue_count]: "
        "Input should be a valid integer"
    )
    assert problem.as_dict() == {
        "where": "dossiers.json item 0 (unit_code='942')",
        "field": "overdue_count",
        "message": "Input should be a valid integer",
        "severity": "error",
    }
