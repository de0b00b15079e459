"""The directory: administrative units, their hierarchy and their leader representatives.

Pure data and checks; loading from files lives in `directory_files`, from DynamoDB in
`adapters.directory_table`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from ioc_alerts.problems import InputError


class Level(StrEnum):
    PROVINCE = "province"
    DEPARTMENT = "department"
    DISTRICT = "district"
    COMMUNE = "commune"


_SPACE = re.compile(r"\s+")


def clean_text(value: str) -> str:
    """NFC, control characters and line breaks folded to single spaces, trimmed.

    Names end up in SMS texts and e-mail subjects: a line break in a name must never
    start a new header line or split a message.
    """
    value = unicodedata.normalize("NFC", value)
    value = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in value)
    return _SPACE.sub(" ", value).strip()


@dataclass(frozen=True, slots=True)
class Contact:
    """A leader representative of a unit. Phone in E.164, e-mail checked; either may be absent."""

    name: str
    phone: str | None = None
    email: str | None = None
    title: str | None = None

    @property
    def contact_id(self) -> str:
        """A stable id that names the contact in queue messages without carrying the PII."""
        key = f"{self.phone or ''}|{(self.email or '').lower()}"
        return hashlib.sha256(key.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Unit:
    code: str
    name: str
    level: Level
    parent: str | None = None
    short_name: str | None = None
    contacts: tuple[Contact, ...] = ()

    @property
    def label(self) -> str:
        """How texts name the unit: its short name when it has one, else its name."""
        return self.short_name or self.name


@dataclass(slots=True)
class Directory(Mapping[str, Unit]):
    """Units by code. Construct with `Directory.build`, which checks parents and cycles."""

    units: dict[str, Unit] = field(default_factory=dict)

    @classmethod
    def build(cls, units: Iterable[Unit], *, source: str = "directory") -> Directory:
        """Index units by code; a duplicate code, a missing parent or a cycle is an InputError."""
        by_code: dict[str, Unit] = {}
        for unit in units:
            if unit.code in by_code:
                raise InputError(f"{source}: unit code {unit.code!r} appears twice")
            by_code[unit.code] = unit
        directory = cls(by_code)
        directory.check_hierarchy(source)
        return directory

    def check_hierarchy(self, source: str = "directory") -> None:
        missing = sorted(
            f"{u.code} -> {u.parent}"
            for u in self.units.values()
            if u.parent is not None and u.parent not in self.units
        )
        if missing:
            raise InputError(f"{source}: parent unit does not exist: {', '.join(missing[:20])}")
        state: dict[str, int] = {}  # 1: on the current path, 2: known to reach a root
        for start in self.units:
            path: list[str] = []
            code: str | None = start
            while code is not None and state.get(code) != 2:
                if state.get(code) == 1:
                    cycle = [*path[path.index(code) :], code]
                    raise InputError(f"{source}: unit hierarchy has a cycle: {' -> '.join(cycle)}")
                state[code] = 1
                path.append(code)
                code = self.units[code].parent
            for seen in path:
                state[seen] = 2

    def __getitem__(self, code: str) -> Unit:
        return self.units[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self.units)

    def __len__(self) -> int:
        return len(self.units)
