"""Demo scenarios: a directory and how the metrics move day by day (docs/demo.md).

A scenario file (JSON) holds:
  name, directory (a directory file, relative to the scenario), from and to (the default
  date range), portals (the metrics API's portal items, with `posts`, either "daily" (a post
  every day at 09:00) or a list of ISO timestamps, instead of `last_published_at`), and
  dossiers ({unit code: [[from date, overdue count], ...]}; units not listed have 0).
The metrics API then serves, for a day D, what it would show at the check time on D.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError

from ioc_alerts.problems import InputError, read_text
from ioc_alerts.vietnam_time import VIETNAM

DEFAULT_SCENARIO = Path(__file__).resolve().parents[1] / "samples/soctrang-2023/scenario.json"
DAILY_POST = time(9, 0)


class ScenarioPortal(BaseModel):
    model_config = ConfigDict(extra="forbid")

    portal_id: str
    name: str
    url: str
    kind: Literal["provincial", "component"]
    unit_code: str
    posts: Literal["daily"] | list[AwareDatetime]


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    directory: Path
    from_: date
    to: date
    portals: list[ScenarioPortal]
    dossiers: dict[str, list[tuple[date, int]]] = {}

    def portal_items(self, day: date, check_at: time) -> list[dict[str, Any]]:
        """The portals page as the IOC would answer at `check_at` on `day` (Vietnam time)."""
        moment = datetime.combine(day, check_at, VIETNAM)
        items = []
        for portal in self.portals:
            if portal.posts == "daily":
                latest: datetime | None = datetime.combine(
                    day - timedelta(days=1), DAILY_POST, VIETNAM
                )
            else:
                latest = max((p for p in portal.posts if p < moment), default=None)
            item = portal.model_dump(exclude={"posts"})
            item["last_published_at"] = latest.isoformat() if latest else None
            items.append(item)
        return items

    def dossier_items(self, day: date, unit_codes: list[str]) -> list[dict[str, Any]]:
        """One count per unit, zeros included, as of `day`."""
        items = []
        for code in unit_codes:
            steps = [count for since, count in sorted(self.dossiers.get(code, [])) if since <= day]
            items.append({"unit_code": code, "overdue_count": steps[-1] if steps else 0})
        return items


def load_scenario(path: Path | None = None) -> Scenario:
    source = path or DEFAULT_SCENARIO
    text = read_text(source, "scenario")
    try:
        raw = json.loads(text)
        raw["from_"] = raw.pop("from", None)
        scenario = Scenario.model_validate(raw)
    except (json.JSONDecodeError, AttributeError, TypeError) as exc:
        raise InputError(f"{source}: not a scenario (JSON object expected): {exc}") from exc
    except ValidationError as exc:
        errors = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise InputError(f"{source}: invalid scenario: {errors}") from exc
    scenario.directory = (source.parent / scenario.directory).resolve()
    return scenario
