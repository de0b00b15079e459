"""Data problems: bad input that is reported (file/record, field, what was expected) and skipped."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Problem:
    """One piece of bad input. `where` names the file or API page and the row or item."""

    where: str
    field: str
    message: str
    severity: str = "error"  # "error": the record was skipped; "warning": it was used as noted

    def __str__(self) -> str:
        field = f" [{self.field}]" if self.field else ""
        return f"{self.severity}: {self.where}{field}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        return {
            "where": self.where,
            "field": self.field,
            "message": self.message,
            "severity": self.severity,
        }


class InputError(Exception):
    """Input that cannot be used at all (missing file, wrong format, broken config)."""


def read_text(path: Path, what: str) -> str:
    """A UTF-8 text file, or an InputError that names the file and what went wrong."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError(f"{path}: {what} file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the {what} file: {exc}") from exc
