"""Load the directory (units and their contacts) from a JSON, CSV or XLSX file.

Bad records are reported as Problems and skipped; the rest loads. CSV and XLSX hold one row
per contact, the unit's columns repeated on each of its rows. Choices worth knowing:
- a contact with any bad field (say a bad e-mail beside a good phone) is skipped whole, so a
  reported contact is never half-loaded;
- a row whose unit columns are bad, or contradict an earlier row of the same code, is skipped
  with its contact: we cannot tell whether the code or the other column is the typo;
- a unit whose parent was skipped is skipped too (reported), so one bad row does not fail the
  file; a parent the file never had is an InputError from `Directory.build`, by design.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from ioc_alerts.contacts import normalise_email, normalise_phone
from ioc_alerts.directory import Contact, Directory, Level, Unit, clean_text
from ioc_alerts.problems import InputError, Problem

COLUMNS = (
    "code",
    "name",
    "short_name",
    "level",
    "parent",
    "contact_name",
    "contact_title",
    "phone",
    "email",
)
OPTIONAL_COLUMNS = ("short_name", "contact_title")
REQUIRED_COLUMNS = tuple(c for c in COLUMNS if c not in OPTIONAL_COLUMNS)

# Where each contact field sits: a JSON contact object, or a spreadsheet row.
JSON_CONTACT_FIELDS = {"name": "name", "title": "title", "phone": "phone", "email": "email"}
ROW_CONTACT_FIELDS = {
    "name": "contact_name",
    "title": "contact_title",
    "phone": "phone",
    "email": "email",
}
_UNIT_FIELDS = ("name", "short_name", "level", "parent")

Record = Mapping[str, object]
Located = tuple[str, Unit]  # "row 5" or "units[3]", and the unit read there


def load_directory(path: str | Path) -> tuple[Directory, list[Problem]]:
    """Units and contacts from a .json, .csv or .xlsx file, and the problems met on the way."""
    path = Path(path)
    read = _READERS.get(path.suffix.lower())
    if read is None:
        raise InputError(
            f"{path}: unknown directory file type {path.suffix!r}; expected .json, .csv or .xlsx"
        )
    report = _Report(path)
    units = report.without_orphans(read(path, report))
    return Directory.build(units, source=str(path)), report.problems


class _Invalid(Exception):
    """One bad field of a record; the caller knows where the record is."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _text(record: Record, key: str) -> str:
    """A field as clean text, "" when absent; a spreadsheet's 912345678.0 reads "912345678"."""
    value = record.get(key)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _Invalid(key, f"{value!r} is not text; expected text")
    return clean_text(str(value))


def _unit(record: Record) -> Unit:
    """The unit fields of a JSON unit or a spreadsheet row; contacts are added later."""
    code, name, level = _text(record, "code"), _text(record, "name"), _text(record, "level")
    if not code:
        raise _Invalid("code", "code is empty; expected the unit's code, e.g. 941 or STTTT")
    if not name:
        raise _Invalid("name", f"name is empty; expected the name of unit {code}")
    if level.lower() not in set(Level):
        expected = ", ".join(Level)
        raise _Invalid("level", f"{level!r} is not a level; expected one of {expected}")
    return Unit(
        code=code,
        name=name,
        level=Level(level.lower()),
        parent=_text(record, "parent") or None,
        short_name=_text(record, "short_name") or None,
    )


def _contact(record: Record, fields: Mapping[str, str]) -> Contact:
    """A contact from a JSON contact object or a spreadsheet row (`fields` maps the keys)."""
    name, title, phone, email = (
        _text(record, fields[k]) for k in ("name", "title", "phone", "email")
    )
    if not name:
        raise _Invalid(
            fields["name"], f"{fields['name']} is empty; expected the contact's full name"
        )
    if not phone and not email:
        raise _Invalid(
            f"{fields['phone']}, {fields['email']}",
            f"{name} has neither phone nor e-mail; expected at least one",
        )
    return Contact(
        name=name,
        title=title or None,
        phone=_checked(normalise_phone, phone, fields["phone"]),
        email=_checked(normalise_email, email, fields["email"]),
    )


def _checked(normalise: Callable[[str], str], value: str, key: str) -> str | None:
    if not value:
        return None
    try:
        return normalise(value)
    except ValueError as exc:
        raise _Invalid(key, str(exc)) from exc


def _shown(value: object) -> str:
    return repr("" if value is None else str(value))


@dataclass(slots=True)
class _Report:
    """The problems met while reading one file, each placed at its row or record."""

    path: Path
    problems: list[Problem] = field(default_factory=list)
    skipped_codes: set[str] = field(default_factory=set)

    def add(self, location: str, key: str, message: str, severity: str = "error") -> None:
        self.problems.append(Problem(f"{self.path} {location}", key, message, severity))

    def unit(self, location: str, record: Record) -> Unit | None:
        try:
            return _unit(record)
        except _Invalid as bad:
            self.add(location, bad.field, bad.message)
            code = record.get("code")
            if code is not None:
                self.skipped_codes.add(clean_text(str(code)))
            return None

    def contact(self, location: str, record: Record, fields: Mapping[str, str]) -> Contact | None:
        try:
            return _contact(record, fields)
        except _Invalid as bad:
            self.add(location, bad.field, bad.message)
            return None

    def agrees(self, location: str, unit: Unit, first: Located) -> bool:
        """Whether a later row repeats the unit fields its code's first row gave."""
        first_location, known = first
        for key in _UNIT_FIELDS:
            if getattr(unit, key) != getattr(known, key):
                self.add(
                    location,
                    key,
                    f"{_shown(getattr(unit, key))} differs from {_shown(getattr(known, key))} "
                    f"given for unit {unit.code} on {first_location}; this row is skipped",
                )
                return False
        return True

    def unique(self, contacts: Sequence[tuple[str, Contact]]) -> tuple[Contact, ...]:
        """The contacts less repeats (same phone and e-mail), each repeat reported."""
        first: dict[str, str] = {}
        kept: list[Contact] = []
        for location, contact in contacts:
            if contact.contact_id in first:
                self.add(
                    location,
                    "phone, email",
                    f"{contact.name} has the same phone and e-mail as the contact on "
                    f"{first[contact.contact_id]}; that one is kept",
                    severity="warning",
                )
            else:
                first[contact.contact_id] = location
                kept.append(contact)
        return tuple(kept)

    def record(self, location: str, value: object, what: str) -> Record | None:
        """A JSON value that must be an object, or None (reported) when it is not."""
        if isinstance(value, dict):
            return value
        self.add(location, "", f"{value!r} is not {what}; expected a JSON object")
        return None

    def without_orphans(self, units: Sequence[Located]) -> list[Unit]:
        """The units less those below a skipped unit, which are reported."""
        gone = self.skipped_codes - {unit.code for _, unit in units}
        kept = list(units)
        while orphans := [(loc, unit) for loc, unit in kept if unit.parent in gone]:
            for location, unit in orphans:
                self.add(
                    location,
                    "parent",
                    f"parent unit {unit.parent} was skipped (see its problem), "
                    f"so unit {unit.code} is skipped too",
                )
                gone.add(unit.code)
            kept = [(loc, unit) for loc, unit in kept if unit.code not in gone]
        return [unit for _, unit in kept]


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file: {exc.strerror or exc}") from exc


def _read_json(path: Path, report: _Report) -> list[Located]:
    try:
        data = json.loads(_read_bytes(path))
    except ValueError as exc:
        raise InputError(f"{path}: not valid JSON: {exc}") from exc
    records = data.get("units") if isinstance(data, dict) else None
    if not isinstance(records, list):
        raise InputError(f'{path}: expected a JSON object {{"units": [...]}}')
    units: list[Located] = []
    for i, value in enumerate(records):
        location = f"units[{i}]"
        record = report.record(location, value, "a unit")
        unit = report.unit(location, record) if record is not None else None
        if record is None or unit is None:
            continue
        contacts = _json_contacts(record.get("contacts"), location, report)
        units.append((location, replace(unit, contacts=contacts)))
    return units


def _json_contacts(values: object, location: str, report: _Report) -> tuple[Contact, ...]:
    if values is None:
        return ()
    if not isinstance(values, list):
        report.add(location, "contacts", f"{values!r} is not a list; expected a list of contacts")
        return ()
    contacts = []
    for j, value in enumerate(values):
        where = f"{location}.contacts[{j}]"
        record = report.record(where, value, "a contact")
        contact = report.contact(where, record, JSON_CONTACT_FIELDS) if record is not None else None
        if contact is not None:
            contacts.append((where, contact))
    return report.unique(contacts)


def _read_csv(path: Path, report: _Report) -> list[Located]:
    try:
        text = _read_bytes(path).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: not UTF-8 text (byte {exc.start}); save it as 'CSV UTF-8'"
        ) from exc
    # Excel writes ";" where the decimal separator is a comma, as in Vietnamese settings.
    header = text.partition("\n")[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    try:
        table = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise InputError(f"{path}: not a readable CSV file: {exc}") from exc
    return _units_from_rows(_rows(path, table), report)


def _read_xlsx(path: Path, report: _Report) -> list[Located]:
    data = _read_bytes(path)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, InvalidFileException) as exc:
        raise InputError(f"{path}: not an Excel workbook (.xlsx): {exc}") from exc
    try:
        table: list[tuple[object, ...]] = list(book.worksheets[0].iter_rows(values_only=True))
    finally:
        book.close()
    return _units_from_rows(_rows(path, table), report)


def _rows(path: Path, table: Sequence[Sequence[object]]) -> list[tuple[int, Record]]:
    """Non-blank rows as {column: cell}, numbered as a spreadsheet shows them (header = 1)."""
    first = table[0] if table else ()
    header = [clean_text(str(cell)).lower() if cell is not None else "" for cell in first]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise InputError(
            f"{path}: the header row lacks the column(s) {', '.join(missing)}; "
            f"expected the columns {', '.join(COLUMNS)}"
        )
    index = {column: header.index(column) for column in COLUMNS if column in header}
    return [
        (n, {column: cells[i] if i < len(cells) else None for column, i in index.items()})
        for n, cells in enumerate(table[1:], start=2)
        if any(_filled(cell) for cell in cells)
    ]


def _filled(cell: object) -> bool:
    return cell is not None and str(cell).strip() != ""


def _units_from_rows(rows: Sequence[tuple[int, Record]], report: _Report) -> list[Located]:
    """One unit per code, from the first row giving it; each row may add one contact."""
    units: dict[str, Located] = {}
    contacts: dict[str, list[tuple[str, Contact]]] = defaultdict(list)
    for n, row in rows:
        location = f"row {n}"
        unit = report.unit(location, row)
        if unit is None:
            continue
        first = units.setdefault(unit.code, (location, unit))
        if not report.agrees(location, unit, first):
            continue
        if any(_filled(row.get(column)) for column in ROW_CONTACT_FIELDS.values()):
            contact = report.contact(location, row, ROW_CONTACT_FIELDS)
            if contact is not None:
                contacts[unit.code].append((location, contact))
    return [
        (location, replace(unit, contacts=report.unique(contacts[code])))
        for code, (location, unit) in units.items()
    ]


_READERS: dict[str, Callable[[Path, _Report], list[Located]]] = {
    ".json": _read_json,
    ".csv": _read_csv,
    ".xlsx": _read_xlsx,
}
