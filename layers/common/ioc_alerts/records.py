"""The metrics input contract (see docs/metrics-api.md): portal and overdue-dossier records.

A page is `{"items": [...], "next_page": str | null}`. Each item is validated on its own so
that one malformed record is reported and skipped while the rest are evaluated. Extra
fields are allowed and ignored.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)

from ioc_alerts.problems import InputError, Problem
from ioc_alerts.vietnam_time import vietnam_date

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


_NUMBER = re.compile(r"\s*[-+]?\d+(\.\d*)?\s*")


def _iso_8601_text(value: Any) -> Any:
    """Only ISO-8601 text reaches the datetime parser: pydantic would read a number (or a
    text of digits) as Unix seconds, so a date sent as 20231101 would become 1970-08-23."""
    if isinstance(value, bool | int | float) or (
        isinstance(value, str) and _NUMBER.fullmatch(value)
    ):
        raise ValueError(
            "expected an ISO-8601 timestamp with an offset, e.g. 2023-11-01T10:00+07:00"
        )
    return value


def _has_vietnam_date(value: datetime) -> datetime:
    """A moment at the very edge of year 1 or 9999 has no Vietnam date: refuse the record
    here rather than let it crash the rule for every other portal."""
    try:
        vietnam_date(value)
    except OverflowError as exc:
        raise ValueError("timestamp out of range: it has no date in Vietnam time") from exc
    return value


Timestamp = Annotated[
    AwareDatetime, BeforeValidator(_iso_8601_text), AfterValidator(_has_vietnam_date)
]


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class PortalRecord(_Record):
    portal_id: NonEmpty
    name: NonEmpty
    url: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^https?://\S+$")]
    kind: Literal["provincial", "component"]
    unit_code: NonEmpty
    # Required, but may be null: a portal the IOC has never seen a post on.
    last_published_at: Timestamp | None


class DossierRecord(_Record):
    unit_code: NonEmpty
    overdue_count: Annotated[int, Field(ge=0, strict=True)]


RecordT = TypeVar("RecordT", bound=_Record)


class _Page(BaseModel):
    model_config = ConfigDict(extra="ignore")
    items: list[Any]
    next_page: str | None = None


_PAGE = TypeAdapter(_Page)


def parse_page(payload: Any, where: str) -> tuple[Sequence[Any], str | None]:
    """The page envelope. A body that is not the contract's shape is an InputError:
    the caller must treat it as an outage, never as an empty (all clear) page."""
    try:
        page = _PAGE.validate_python(payload)
    except ValidationError as exc:
        raise InputError(f"{where}: not a metrics page: {_first_error(exc)}") from exc
    return page.items, page.next_page


def parse_items(
    items: Sequence[Any], model: type[RecordT], where: str, start: int = 0
) -> tuple[list[RecordT], list[Problem]]:
    """Validate each item on its own; a bad one becomes a Problem naming item and field."""
    records: list[RecordT] = []
    problems: list[Problem] = []
    for index, item in enumerate(items, start):
        try:
            records.append(model.model_validate(item))
        except ValidationError as exc:
            error = exc.errors()[0]
            field = ".".join(str(part) for part in error["loc"])
            problems.append(Problem(f"{where} item {index}{_name(item)}", field, error["msg"]))
    return records, problems


def _name(item: Any) -> str:
    """The record's own id, when it has one, so that an operator can find it upstream."""
    if isinstance(item, dict):
        for key in ("portal_id", "unit_code"):
            if isinstance(item.get(key), str):
                return f" ({key}={item[key]!r})"
    return ""


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    location = ".".join(str(part) for part in error["loc"]) or "body"
    return f"{location}: {error['msg']}"
