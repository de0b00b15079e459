"""Loading the directory from JSON, CSV and XLSX files: bad records reported and skipped."""

from __future__ import annotations

import csv
import json
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest

import ioc_alerts
from ioc_alerts.directory import Contact, Directory, Level, Unit
from ioc_alerts.directory_files import COLUMNS, load_directory
from ioc_alerts.problems import InputError, Problem

SAMPLE = Path(ioc_alerts.__file__).parent / "samples" / "soctrang-2023"
SUFFIXES = ("json", "csv", "xlsx")

Row = Sequence[object]
WriteSheet = Callable[[Sequence[Row]], Path]

# Real units of Sóc Trăng; every contact is invented (0900 01x xxx, @example.gov.vn).
PROVINCE = ["94", "Tỉnh Sóc Trăng", "UBND tỉnh", "province", ""]
CITY = ["941", "Thành phố Sóc Trăng", "UBND thành phố Sóc Trăng", "district", "94"]
WARD_5 = ["31498", "Phường 5", "", "commune", "941"]
NO_CONTACT = ["", "", "", ""]


def contact(name: str, phone: object, email: str, title: str = "Chủ tịch UBND") -> list[object]:
    return [name, title, phone, email]


PROVINCE_LEADER = contact(
    "Trần Thị Bình", "0900 010 001", "lanhdao1.94@example.gov.vn", "Phó Chủ tịch UBND tỉnh"
)
CITY_LEADER = contact("Lê Minh Cường", "0900 010 002", "lanhdao1.941@example.gov.vn")


def write_csv(
    path: Path, rows: Sequence[Row], *, delimiter: str = ",", encoding: str = "utf-8"
) -> Path:
    with path.open("w", encoding=encoding, newline="") as file:
        csv.writer(file, delimiter=delimiter).writerows(rows)
    return path


def write_xlsx(path: Path, rows: Sequence[Row]) -> Path:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(list(row))
    book.save(path)
    return path


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture(params=["csv", "xlsx"])
def write_sheet(request: pytest.FixtureRequest, tmp_path: Path) -> WriteSheet:
    """Writes rows (header first) as a CSV or an XLSX file: both must read the same."""

    def write(rows: Sequence[Row]) -> Path:
        path = tmp_path / f"directory.{request.param}"
        return write_csv(path, rows) if request.param == "csv" else write_xlsx(path, rows)

    return write


def places(problems: Sequence[Problem]) -> list[tuple[str, str, str]]:
    return [(problem.where, problem.field, problem.severity) for problem in problems]


# --- the samples ---------------------------------------------------------------------------


def test_the_three_sample_files_give_the_same_directory() -> None:
    # Given the Sóc Trăng sample as JSON, and as the CSV and XLSX contact sheets made from it
    # When each is loaded
    loaded = {suffix: load_directory(SAMPLE / f"directory.{suffix}") for suffix in SUFFIXES}
    # Then none has a problem and all three give the same directory
    raw = json.loads((SAMPLE / "directory.json").read_text(encoding="utf-8"))["units"]
    for directory, problems in loaded.values():
        assert problems == []
        assert directory == loaded["json"][0]
    directory = loaded["json"][0]
    assert len(directory) == len(raw)
    assert sum(len(unit.contacts) for unit in directory.values()) == sum(
        len(unit["contacts"]) for unit in raw
    )
    assert directory["94"].level is Level.PROVINCE
    assert directory["941"].contacts[0].phone == "+84900010002"


# --- spreadsheets (CSV and XLSX share one code path; each test runs on both) ---------------


def test_a_sheet_with_one_row_per_contact_loads(write_sheet: WriteSheet) -> None:
    # Given a sheet: a province with a leader, a city with two, a ward with none
    path = write_sheet(
        [
            COLUMNS,
            PROVINCE + PROVINCE_LEADER,
            CITY + CITY_LEADER,
            CITY + contact("Phạm Hoàng Dũng", "0900 010 003", "", "Phó Chủ tịch UBND"),
            WARD_5 + NO_CONTACT,
        ]
    )
    # When it is loaded
    directory, problems = load_directory(path)
    # Then every unit is there with its contacts in canonical form
    assert problems == []
    assert list(directory) == ["94", "941", "31498"]
    assert directory["941"] == Unit(
        code="941",
        name="Thành phố Sóc Trăng",
        short_name="UBND thành phố Sóc Trăng",
        level=Level.DISTRICT,
        parent="94",
        contacts=(
            Contact(
                "Lê Minh Cường", "+84900010002", "lanhdao1.941@example.gov.vn", "Chủ tịch UBND"
            ),
            Contact("Phạm Hoàng Dũng", "+84900010003", None, "Phó Chủ tịch UBND"),
        ),
    )
    assert directory["31498"].contacts == ()
    assert directory["31498"].short_name is None


def test_bad_contact_rows_are_reported_and_skipped_and_the_rest_loads(
    write_sheet: WriteSheet,
) -> None:
    # Given a sheet where rows 3 to 6 each have one bad contact field, and row 7 a blank row
    path = write_sheet(
        [
            COLUMNS,
            PROVINCE + PROVINCE_LEADER,
            CITY + contact("Lê Minh Cường", "0900 01", "lanhdao1.941@example.gov.vn"),
            CITY + contact("Phạm Hoàng Dũng", "0900 010 003", "lanhdao2.941@"),
            CITY + contact("", "0900 010 004", "lanhdao3.941@example.gov.vn"),
            CITY + contact("Huỳnh Thanh Hà", "", ""),
            [],
            CITY + contact("Võ Quốc Hùng", "0900 010 005", "lanhdao5.941@example.gov.vn"),
        ]
    )
    # When it is loaded
    directory, problems = load_directory(path)
    # Then each bad row is reported with file, row and field, quoting the bad value
    assert places(problems) == [
        (f"{path} row 3", "phone", "error"),
        (f"{path} row 4", "email", "error"),
        (f"{path} row 5", "contact_name", "error"),
        (f"{path} row 6", "phone, email", "error"),
    ]
    assert "'0900 01'" in problems[0].message
    assert "'lanhdao2.941@'" in problems[1].message
    assert "Huỳnh Thanh Hà" in problems[3].message
    # And only those contacts are skipped: the unit and its good contact load
    assert [c.name for c in directory["941"].contacts] == ["Võ Quốc Hùng"]
    assert [c.name for c in directory["94"].contacts] == ["Trần Thị Bình"]


def test_a_bad_level_skips_the_unit_and_the_units_below_it(write_sheet: WriteSheet) -> None:
    # Given a city whose level is written in Vietnamese, with a ward below it
    path = write_sheet(
        [
            COLUMNS,
            PROVINCE + PROVINCE_LEADER,
            [*CITY[:3], "thành phố", "94", *CITY_LEADER],
            WARD_5 + NO_CONTACT,
        ]
    )
    # When it is loaded
    directory, problems = load_directory(path)
    # Then the city's row is reported quoting the level and naming the levels expected
    assert places(problems) == [
        (f"{path} row 3", "level", "error"),
        (f"{path} row 4", "parent", "error"),
    ]
    assert "'thành phố'" in problems[0].message
    assert "province, department, district, commune" in problems[0].message
    # And the ward below it is skipped too, rather than the whole file failing
    assert "941" in problems[1].message
    assert list(directory) == ["94"]


def test_an_empty_code_or_name_is_reported_and_the_row_skipped(write_sheet: WriteSheet) -> None:
    # Given a row without a code and a row without a name
    path = write_sheet(
        [
            COLUMNS,
            PROVINCE + PROVINCE_LEADER,
            ["", *CITY[1:], *CITY_LEADER],
            [CITY[0], "", *CITY[2:], *CITY_LEADER],
        ]
    )
    # When it is loaded
    directory, problems = load_directory(path)
    # Then both are reported and skipped
    assert places(problems) == [
        (f"{path} row 3", "code", "error"),
        (f"{path} row 4", "name", "error"),
    ]
    assert list(directory) == ["94"]


def test_levels_and_headers_are_read_whatever_their_case_and_spaces(
    write_sheet: WriteSheet,
) -> None:
    # Given headers in capitals with spaces, an extra column, no optional columns,
    # and a level in capitals
    header = [" CODE", "Name ", "Level", "parent", "Ghi chú", "Contact_Name", "phone", "EMAIL"]
    path = write_sheet(
        [
            header,
            ["94", "Tỉnh Sóc Trăng", "Province", "", "gửi lại", "Trần Thị Bình", "0900010001", ""],
            ["941", "Thành phố Sóc Trăng", "DISTRICT", "94", "", "", "", ""],
        ]
    )
    # When it is loaded / Then the columns are found by name and the levels understood
    directory, problems = load_directory(path)
    assert problems == []
    assert directory["941"].level is Level.DISTRICT
    assert directory["94"].contacts == (Contact("Trần Thị Bình", "+84900010001"),)
    assert directory["94"].short_name is None


def test_a_later_row_contradicting_its_unit_is_reported_and_the_first_kept(
    write_sheet: WriteSheet,
) -> None:
    # Given a city whose second row gives another name for the same code
    path = write_sheet(
        [
            COLUMNS,
            PROVINCE + PROVINCE_LEADER,
            CITY + CITY_LEADER,
            ["941", "Huyện Châu Thành", *CITY[2:], *contact("Huỳnh Thanh Hà", "0900 010 004", "")],
        ]
    )
    # When it is loaded
    directory, problems = load_directory(path)
    # Then that row is reported, naming the field, both values and the first row
    assert places(problems) == [(f"{path} row 4", "name", "error")]
    assert "'Huyện Châu Thành'" in problems[0].message
    assert "'Thành phố Sóc Trăng'" in problems[0].message
    assert "row 3" in problems[0].message
    # And the first row's unit is kept, without the contradicting row's contact
    assert directory["941"].name == "Thành phố Sóc Trăng"
    assert [c.name for c in directory["941"].contacts] == ["Lê Minh Cường"]


def test_a_repeated_contact_is_a_warning_and_kept_once(write_sheet: WriteSheet) -> None:
    # Given the same phone and e-mail twice for one unit (the e-mail in other capitals)
    path = write_sheet(
        [
            COLUMNS,
            PROVINCE + PROVINCE_LEADER,
            CITY + CITY_LEADER,
            CITY + contact("Lê Minh Cường", "+84900010002", "Lanhdao1.941@example.gov.vn"),
        ]
    )
    # When it is loaded
    directory, problems = load_directory(path)
    # Then a warning names the repeat and the row it repeats, and one contact is kept
    assert places(problems) == [(f"{path} row 4", "phone, email", "warning")]
    assert "row 3" in problems[0].message
    assert len(directory["941"].contacts) == 1


def test_nfd_text_loads_as_nfc_with_whitespace_folded(write_sheet: WriteSheet) -> None:
    # Given names whose diacritics arrive decomposed (NFD) and spread over a line break
    name = "Sở Thông tin và Truyền thông"
    nfd = unicodedata.normalize("NFD", name)
    assert nfd != name
    department = [" STTTT ", nfd.replace(" và ", " và\n "), "Sở  TTTT", "department", "94"]
    path = write_sheet([COLUMNS, PROVINCE + PROVINCE_LEADER, department + NO_CONTACT])
    # When it is loaded
    directory, problems = load_directory(path)
    # Then the text is NFC on one line and the code is stripped
    assert problems == []
    assert directory["STTTT"].name == name
    assert directory["STTTT"].short_name == "Sở TTTT"


@pytest.mark.parametrize("missing", ["email", "contact_name", "level"])
def test_a_missing_required_column_is_an_input_error_naming_it(
    write_sheet: WriteSheet, missing: str
) -> None:
    # Given a header row without one required column
    header = [column for column in COLUMNS if column != missing]
    path = write_sheet([header, PROVINCE + PROVINCE_LEADER])
    # When it is loaded / Then the whole file is refused, naming the file and the column
    with pytest.raises(InputError, match=rf"lacks the column\(s\) {missing}") as error:
        load_directory(path)
    assert str(error.value).startswith(str(path))


def test_an_empty_sheet_is_an_input_error(write_sheet: WriteSheet) -> None:
    path = write_sheet([])
    with pytest.raises(InputError, match="lacks the column"):
        load_directory(path)


@pytest.mark.parametrize(
    ("delimiter", "encoding"),
    [(";", "utf-8"), (";", "utf-8-sig"), (",", "utf-8-sig")],
    ids=["semicolon", "semicolon-bom", "comma-bom"],
)
def test_csv_from_excel_with_semicolons_or_a_bom_loads(
    tmp_path: Path, delimiter: str, encoding: str
) -> None:
    # Given a CSV as Excel writes it in Vietnamese settings: ";" and/or a UTF-8 BOM
    rows = [COLUMNS, PROVINCE + PROVINCE_LEADER, CITY + CITY_LEADER]
    path = write_csv(tmp_path / "directory.csv", rows, delimiter=delimiter, encoding=encoding)
    # When it is loaded
    directory, problems = load_directory(path)
    # Then the first column is "code", not "\ufeffcode", and everything loads
    assert problems == []
    assert list(directory) == ["94", "941"]
    assert directory["941"].contacts[0].name == "Lê Minh Cường"


def test_a_csv_that_is_not_utf8_is_an_input_error(tmp_path: Path) -> None:
    # Given a CSV saved in the old Windows code page for Vietnamese
    path = tmp_path / "directory.csv"
    path.write_bytes((",".join(COLUMNS) + "\n94,Sóc Trăng,,province,,,,,\n").encode("cp1258"))
    # When it is loaded / Then the message says how to save it
    with pytest.raises(InputError, match="CSV UTF-8"):
        load_directory(path)


def test_xlsx_numeric_cells_are_read_as_text(tmp_path: Path) -> None:
    # Given a workbook where the code and the phone were typed as numbers,
    # so the phone lost its leading 0
    rows = [
        COLUMNS,
        [94, "Tỉnh Sóc Trăng", "", "province", None, "Trần Thị Bình", "", 900010001, ""],
        [941, "Thành phố Sóc Trăng", "", "district", 94, "Lê Minh Cường", "", 900010002.0, ""],
    ]
    path = write_xlsx(tmp_path / "directory.xlsx", rows)
    # When it is loaded
    directory, problems = load_directory(path)
    # Then the codes are text and the phones still normalise
    assert problems == []
    assert directory["94"].contacts[0].phone == "+84900010001"
    assert directory["941"].parent == "94"
    assert directory["941"].contacts[0].phone == "+84900010002"


def test_a_file_named_xlsx_that_is_not_a_workbook_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "directory.xlsx"
    path.write_text("code,name\n", encoding="utf-8")
    with pytest.raises(InputError, match="not an Excel workbook") as error:
        load_directory(path)
    assert str(error.value).startswith(str(path))


# --- JSON ------------------------------------------------------------------------------------


def json_unit(code: str, name: str, level: str, parent: str | None, **more: Any) -> dict[str, Any]:
    return {"code": code, "name": name, "level": level, "parent": parent, **more}


def test_json_bad_contacts_are_reported_at_their_index_and_the_unit_loads(
    tmp_path: Path,
) -> None:
    # Given a JSON city with a good contact, a bad phone, a bad e-mail and a non-object
    good = {"name": "Lê Minh Cường", "phone": "0900010002", "email": "lanhdao1.941@example.gov.vn"}
    path = write_json(
        tmp_path / "directory.json",
        {
            "units": [
                json_unit("94", "Tỉnh Sóc Trăng", "province", None),
                json_unit(
                    "941",
                    "Thành phố Sóc Trăng",
                    "district",
                    "94",
                    contacts=[
                        good,
                        {**good, "name": "Phạm Hoàng Dũng", "phone": "0900"},
                        {**good, "name": "Huỳnh Thanh Hà", "phone": "", "email": "không có"},
                        "Võ Quốc Hùng 0900010005",
                    ],
                ),
                "Huyện Châu Thành",
            ]
        },
    )
    # When it is loaded
    directory, problems = load_directory(path)
    # Then each bad contact is reported at its index and field, and the unit still loads
    assert places(problems) == [
        (f"{path} units[1].contacts[1]", "phone", "error"),
        (f"{path} units[1].contacts[2]", "email", "error"),
        (f"{path} units[1].contacts[3]", "", "error"),
        (f"{path} units[2]", "", "error"),
    ]
    assert "'0900'" in problems[0].message
    assert [c.name for c in directory["941"].contacts] == ["Lê Minh Cường"]
    # And a unit without "contacts" has none
    assert directory["94"].contacts == ()


def test_json_bad_level_is_reported_and_the_unit_skipped(tmp_path: Path) -> None:
    path = write_json(
        tmp_path / "directory.json",
        {
            "units": [
                json_unit("94", "Tỉnh Sóc Trăng", "province", None),
                json_unit("STTTT", "Sở Thông tin và Truyền thông", "sở", "94"),
            ]
        },
    )
    directory, problems = load_directory(path)
    assert places(problems) == [(f"{path} units[1]", "level", "error")]
    assert list(directory) == ["94"]


@pytest.mark.parametrize(
    ("units", "expected"),
    [
        (
            [
                json_unit("94", "Tỉnh Sóc Trăng", "province", None),
                json_unit("941", "Thành phố Sóc Trăng", "district", "95"),
            ],
            "parent unit does not exist: 941 -> 95",
        ),
        (
            [
                json_unit("941", "Thành phố Sóc Trăng", "district", "942"),
                json_unit("942", "Huyện Châu Thành", "district", "941"),
            ],
            "cycle",
        ),
        (
            [
                json_unit("94", "Tỉnh Sóc Trăng", "province", None),
                json_unit("94", "Tỉnh Sóc Trăng (cũ)", "province", None),
            ],
            "unit code '94' appears twice",
        ),
    ],
    ids=["unknown-parent", "cycle", "duplicate-code"],
)
def test_a_broken_hierarchy_is_an_input_error_for_the_whole_file(
    tmp_path: Path, units: list[dict[str, Any]], expected: str
) -> None:
    # Given a file whose units cannot form a hierarchy
    path = write_json(tmp_path / "directory.json", {"units": units})
    # When it is loaded / Then the whole file is refused, naming it
    with pytest.raises(InputError, match=expected) as error:
        load_directory(path)
    assert str(error.value).startswith(str(path))


def test_an_unknown_parent_in_a_sheet_is_an_input_error(write_sheet: WriteSheet) -> None:
    path = write_sheet([COLUMNS, CITY + CITY_LEADER])
    with pytest.raises(InputError, match="parent unit does not exist: 941 -> 94"):
        load_directory(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"units": [', "not valid JSON"),
        ('[{"code": "94"}]', "expected a JSON object"),
        ('{"units": {"94": {}}}', "expected a JSON object"),
    ],
    ids=["malformed", "top-level-list", "units-not-a-list"],
)
def test_a_json_file_of_the_wrong_shape_is_an_input_error(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "directory.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=expected) as error:
        load_directory(path)
    assert str(error.value).startswith(str(path))


# --- files that cannot be read at all ------------------------------------------------------


def test_an_unknown_extension_is_an_input_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "danh-ba.txt"
    path.write_text("94,Tỉnh Sóc Trăng\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"expected \.json, \.csv or \.xlsx") as error:
        load_directory(path)
    assert str(error.value).startswith(str(path))


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_a_missing_file_is_an_input_error_naming_it(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"missing.{suffix}"
    with pytest.raises(InputError, match="cannot read the file") as error:
        load_directory(str(path))
    assert str(error.value).startswith(str(path))


# --- Directory.build: the hierarchy checks the loaders rely on --------------------------------


def district(code: str, parent: str | None) -> Unit:
    return Unit(code=code, name=f"Huyện {code}", level=Level.DISTRICT, parent=parent)


def test_build_refuses_a_three_unit_cycle_naming_it() -> None:
    # Given 942 -> 943 -> 944 -> 942, hanging off a proper province
    units = [
        Unit(code="94", name="Tỉnh Sóc Trăng", level=Level.PROVINCE),
        district("941", "94"),
        district("942", "943"),
        district("943", "944"),
        district("944", "942"),
    ]
    # When the directory is built / Then the cycle is named
    with pytest.raises(InputError, match="cycle: 942 -> 943 -> 944 -> 942"):
        Directory.build(units, source="test")


def test_build_refuses_a_unit_that_is_its_own_parent() -> None:
    with pytest.raises(InputError, match="cycle: 941 -> 941"):
        Directory.build([district("941", "941")], source="test")


def test_build_accepts_a_deep_chain_listed_children_first() -> None:
    # Given a chain listed from the leaf up, so each unit is met before its parent
    units = [district(str(n), str(n + 1) if n < 20 else None) for n in range(1, 21)]
    # When the directory is built / Then it is accepted
    assert len(Directory.build(units, source="test")) == 20
