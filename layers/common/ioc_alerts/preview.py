"""The dry run: every notification that would go out on a day, from local files.

Runs the same core as the check functions (rules -> routing -> render) without AWS.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from ioc_alerts.config import RulesConfig
from ioc_alerts.directory import Directory
from ioc_alerts.notifications import EMAIL, RoutedBreach, plan_all
from ioc_alerts.problems import InputError, Problem, read_text
from ioc_alerts.records import parse_page
from ioc_alerts.render import Renderer
from ioc_alerts.rules import Check, DossiersOverdueCheck, PortalStaleCheck
from ioc_alerts.vietnam_time import WEEKDAY_NAMES_VI, format_day


@dataclass
class DayPlan:
    """What one day's checks decide: per rule, the check and its routed breaches."""

    day: date
    checks: list[Check]
    routed: list[RoutedBreach]
    problems: list[Problem] = field(default_factory=list)


def read_page_file(path: Path, what: str) -> list[Any]:
    """A metrics file holds one page of the API's shape: {"items": [...], "next_page": null}."""
    text = read_text(path, what)
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON: {exc}") from exc
    items, _ = parse_page(payload, str(path))
    return list(items)


def plan_day(
    day: date,
    directory: Directory,
    config: RulesConfig,
    portals: Path,
    dossiers: Path,
) -> DayPlan:
    portal_items = read_page_file(portals, "portals")
    dossier_items = read_page_file(dossiers, "dossiers")
    checks: list[Check] = [
        PortalStaleCheck(day, directory, config),
        DossiersOverdueCheck(day, directory, config),
    ]
    routed: list[RoutedBreach] = []
    problems: list[Problem] = []
    for check, items, path in zip(
        checks, (portal_items, dossier_items), (portals, dossiers), strict=True
    ):
        if check.scheduled:
            check.add_page(items, str(path))
            problems.extend(check.problems)
            routed.extend(plan_all(check.breaches, directory, config))
    return DayPlan(day, checks, routed, problems)


def json_lines(plan: DayPlan, renderer: Renderer) -> Iterator[dict[str, Any]]:
    """One object per notification, and one per unroutable breach (channel null)."""
    for item in plan.routed:
        breach, routing = item.breach, item.routing
        sms = renderer.sms(breach, routing)
        base = {
            "date": breach.day.isoformat(),
            "rule": breach.rule,
            "breach_id": breach.breach_id,
            "unit": breach.unit_code,
            "recipient_unit": routing.recipient_unit.code if routing.recipient_unit else None,
            "value": breach.value,
            "threshold": breach.threshold,
        }
        if item.unroutable_reason:
            yield {
                **base,
                "channel": None,
                "to": None,
                "text": sms.text,
                "unroutable": item.unroutable_reason,
            }
        for note in item.notifications:
            line = {**base, "channel": note.channel, "to": note.to, "contact": note.contact.name}
            if note.channel == EMAIL:
                line["text"] = renderer.email(breach, routing, note.contact).subject
            else:
                line |= {"text": sms.text, "encoding": sms.encoding, "segments": sms.segments}
            yield line


def print_json(plan: DayPlan, renderer: Renderer, out: TextIO) -> None:
    for line in json_lines(plan, renderer):
        out.write(json.dumps(line, ensure_ascii=False) + "\n")


def print_text(plan: DayPlan, renderer: Renderer, out: TextIO) -> None:
    """A readable report, grouped by rule and breach."""
    day = plan.day
    out.write(
        f"IOC Alerts dry run: {WEEKDAY_NAMES_VI[day.weekday()]} {format_day(day)} "
        f"({day.isoformat()}), rules {renderer.config.source}\n"
    )
    sms_count = email_count = parts = unroutable = 0
    for check in plan.checks:
        mine = [r for r in plan.routed if r.breach.rule == check.rule]
        out.write(f"\n== {check.rule}: ")
        if not check.scheduled:
            days = getattr(renderer.config.rules, check.rule).schedule.days
            out.write(
                f"not scheduled on {WEEKDAY_NAMES_VI[day.weekday()]} (runs on {', '.join(days)})\n"
            )
            continue
        out.write(f"{check.records} records checked, {len(mine)} breaches\n")
        for item in mine:
            breach, routing = item.breach, item.routing
            sms = renderer.sms(breach, routing)
            what = (
                f"{breach.portal_name}, last post {format_day(breach.last_published_on)}"
                if breach.last_published_on
                else f"{breach.value} overdue dossiers"
            )
            out.write(
                f"\n  * {routing.unit.label} ({breach.unit_code}): value {breach.value}"
                f" >= threshold {breach.threshold}; {what}\n"
            )
            out.write(f"    SMS text: {sms.text}  [{sms.encoding}, {sms.segments} part(s)]\n")
            if item.unroutable_reason:
                unroutable += 1
                out.write(f"    UNROUTABLE: {item.unroutable_reason}\n")
                continue
            recipient = routing.recipient_unit
            assert recipient is not None
            why = "own unit" if routing.reason == "own_unit" else "parent of the commune"
            out.write(f"    to {recipient.label} ({recipient.code}, {why}):\n")
            for note in item.notifications:
                who = ", ".join(x for x in (note.contact.name, note.contact.title) if x)
                if note.channel == EMAIL:
                    email_count += 1
                    subject = renderer.email(breach, routing, note.contact).subject
                    out.write(f"      e-mail {note.to:<36} {who}: {subject}\n")
                else:
                    sms_count += 1
                    parts += sms.segments
                    out.write(f"      SMS    {note.to:<36} {who}\n")
    if plan.problems:
        out.write(f"\n== data problems ({len(plan.problems)})\n")
        for problem in plan.problems:
            out.write(f"  {problem}\n")
    out.write(
        f"\nSummary: {len(plan.routed)} breaches, {sms_count + email_count} notifications "
        f"({sms_count} SMS in {parts} parts, {email_count} e-mails), "
        f"{unroutable} unroutable, {len(plan.problems)} data problems\n"
    )
