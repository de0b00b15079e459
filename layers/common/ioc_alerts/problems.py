"""Data problems: bad input that is reported (file/record, field, what was expected) and skipped."""

from __future__ import annotations

from dataclasses import dataclass


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
