"""Write the Sóc Trăng sample directory as the contact sheets units send: CSV and XLSX.

One row per contact, the unit's columns repeated; a unit without contacts is one row with the
contact columns empty. Run after make_samples.py: .venv/bin/python scripts/make_contact_sheets.py
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import openpyxl

from ioc_alerts.directory_files import COLUMNS

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "layers" / "common" / "ioc_alerts" / "samples" / "soctrang-2023"


def typed(phone: str) -> str:
    """A phone the way people type it: "0900010002" -> "0900 010 002"."""
    if len(phone) != 10 or not phone.isdigit():
        raise ValueError(f"expected a 10-digit national number, got {phone!r}")
    return f"{phone[:4]} {phone[4:7]} {phone[7:]}"


def rows(units: list[dict[str, Any]]) -> list[list[str]]:
    table = []
    for unit in units:
        for contact in unit.get("contacts") or [{}]:
            row = {
                "code": unit["code"],
                "name": unit["name"],
                "short_name": unit.get("short_name") or "",
                "level": unit["level"],
                "parent": unit["parent"] or "",
                "contact_name": contact.get("name", ""),
                "contact_title": contact.get("title", ""),
                "phone": typed(contact["phone"]) if contact.get("phone") else "",
                "email": contact.get("email", ""),
            }
            table.append([row[column] for column in COLUMNS])
    return table


def write_csv(path: Path, table: list[list[str]]) -> None:
    # With a BOM, as Excel's "CSV UTF-8" writes it: without one Excel misreads the diacritics.
    with path.open("w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(table)


def write_xlsx(path: Path, table: list[list[str]]) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Danh bạ"
    sheet.append(list(COLUMNS))
    for row in table:
        sheet.append(row)
    sheet.freeze_panes = "A2"
    book.properties.creator = "scripts/make_contact_sheets.py"
    book.save(path)


if __name__ == "__main__":
    units = json.loads((SAMPLE / "directory.json").read_text(encoding="utf-8"))["units"]
    table = rows(units)
    write_csv(SAMPLE / "directory.csv", table)
    write_xlsx(SAMPLE / "directory.xlsx", table)
