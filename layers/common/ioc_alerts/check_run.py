"""One check run: metrics pages -> rule -> routing -> breach records -> notification queue.

The stages are the core's; the stores, the queue and the pages are handed in (adapters in
AWS, fakes in unit tests). Nothing is written or queued until every page has been read and
checked: an API failure half-way fails the run with nothing sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from ioc_alerts.adapters.metrics_api import MetricsApiError, Page
from ioc_alerts.adapters.models import BreachItem, RecipientAttribute
from ioc_alerts.adapters.notification_queue import BATCH
from ioc_alerts.adapters.run_log import COMPLETED, FAILED, Claim
from ioc_alerts.config import PORTAL_STALE, RulesConfig
from ioc_alerts.directory import Directory
from ioc_alerts.messages import NotificationMessage
from ioc_alerts.notifications import RoutedBreach, plan_all
from ioc_alerts.observability import logger, mask_email, mask_phone
from ioc_alerts.problems import InputError
from ioc_alerts.render import Renderer
from ioc_alerts.rules import Check, DossiersOverdueCheck, PortalStaleCheck, rule_scheduled

CHUNK = 500  # breaches written and queued at a time


class RunLogPort(Protocol):
    def status(self, rule: str, day: date) -> str | None: ...
    def claim(
        self,
        rule: str,
        day: date,
        run_id: str,
        now: datetime,
        lease: timedelta,
        correlation_id: str | None = None,
        *,
        invocation_id: str | None = None,
    ) -> Claim: ...
    def finish(
        self,
        rule: str,
        day: date,
        run_id: str,
        now: datetime,
        *,
        status: str,
        records: int = 0,
        breaches: int = 0,
        notifications: int = 0,
        error: str | None = None,
    ) -> bool: ...


class BreachStorePort(Protocol):
    def create_all(self, items: list[BreachItem]) -> list[bool]: ...


class QueuePort(Protocol):
    def send(self, messages: list[NotificationMessage]) -> int: ...


@dataclass(frozen=True)
class CheckRequest:
    rule: str
    day: date
    run_id: str
    correlation_id: str
    dry_run: bool = False
    scheduled_time: datetime | None = None
    invocation_id: str | None = None  # Lambda's request id (kept by its retries)


@dataclass
class CheckReport:
    rule: str
    date: str
    run_id: str
    status: str = (
        "started"  # not_scheduled | dry_run | completed | already_completed | already_running
    )
    records: int = 0
    invalid_records: int = 0
    data_problems: int = 0
    breaches: int = 0
    new_breaches: int = 0
    unroutable: int = 0
    notifications: int = 0
    queued: int = 0
    api_requests: int = 0
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CheckDeps:
    # Read only once the run is known to go ahead: a day not scheduled or already done costs
    # no directory scan (tens of pages for a large directory).
    read_directory: Callable[[], Directory]
    config: RulesConfig
    renderer: Renderer
    runs: RunLogPort
    breaches: BreachStorePort
    queue: QueuePort
    clock: Callable[[], datetime]
    lease: timedelta
    retention: timedelta


def evaluate(check: Check, pages: Iterable[Page]) -> None:
    """Feed every page to the check. No valid record of a known unit at all is an outage (or
    the wrong directory), never "all clear": the run fails and nothing is sent."""
    if len(check.directory) == 0:
        raise InputError(
            "the directory is empty: load it with `ioc-alerts directory load FILE --table ...`;"
            " nothing was checked"
        )
    for page in pages:
        check.add_page(page.items, page.where, page.first_index)
    if check.matched == 0:
        raise MetricsApiError(
            f"the metrics API gave no valid {check.rule} record of a unit in the directory "
            f"({check.records} valid, {check.invalid} invalid; the directory has "
            f"{len(check.directory)} units): treated as a data outage, nothing sent"
        )


def run_check(request: CheckRequest, deps: CheckDeps, pages: Iterable[Page]) -> CheckReport:
    report = CheckReport(request.rule, request.day.isoformat(), request.run_id)
    if not rule_scheduled(deps.config, request.rule, request.day):
        report.status = "not_scheduled"
        logger.info("rule not scheduled on this day", extra=report.as_dict())
        return report
    if not request.dry_run and deps.runs.status(request.rule, request.day) == COMPLETED:
        # Spare the API: the day is done. (The claim below still guards against races.)
        report.status = "already_completed"
        logger.info("run already completed for this day: nothing to do")
        return report
    check = _check_for(request, deps.config, deps.read_directory())
    evaluate(check, pages)
    report.records, report.invalid_records = check.records, check.invalid
    for problem in check.problems:
        log = logger.warning if problem.severity == "warning" else logger.error
        log("data problem", extra={"problem": problem.as_dict()})
    report.data_problems = len(check.problems)
    report.problems = [str(p) for p in check.problems[:50]]
    routed = list(plan_all(check.breaches, check.directory, deps.config))
    report.breaches = len(routed)
    report.unroutable = sum(1 for r in routed if r.unroutable_reason)
    report.notifications = sum(len(r.notifications) for r in routed)
    for item in routed:
        _log_breach(item)
    if request.dry_run:
        report.status = "dry_run"
        return report
    return _persist_and_queue(request, deps, report, routed)


def _persist_and_queue(
    request: CheckRequest, deps: CheckDeps, report: CheckReport, routed: list[RoutedBreach]
) -> CheckReport:
    now = deps.clock()
    claim = deps.runs.claim(
        request.rule,
        request.day,
        request.run_id,
        now,
        deps.lease,
        request.correlation_id,
        invocation_id=request.invocation_id,
    )
    if not claim.claimed:
        report.status = "already_completed" if claim.status == COMPLETED else "already_running"
        logger.info(
            "run already done or in progress: nothing written, nothing queued",
            extra={"held_by": claim.run_id, "status": report.status},
        )
        return report
    try:
        _write_and_queue(request, deps, report, routed, now)
    except Exception as exc:
        _finish(request, deps, report, FAILED, error=f"{type(exc).__name__}: {exc}"[:1000])
        raise
    _finish(request, deps, report, COMPLETED)
    report.status = "completed"
    return report


def _write_and_queue(
    request: CheckRequest,
    deps: CheckDeps,
    report: CheckReport,
    routed: list[RoutedBreach],
    now: datetime,
) -> None:
    """Breach records and queue messages, a chunk of breaches at a time: the records and
    messages of one chunk are all that is held in memory. Messages go out in full batches of
    ten; the rest waits for the next chunk, so chunking adds no SQS call."""
    waiting: list[NotificationMessage] = []
    for start in range(0, len(routed), CHUNK):
        chunk = routed[start : start + CHUNK]
        items = [_breach_item(r, deps, request.run_id, now) for r in chunk]
        report.new_breaches += sum(deps.breaches.create_all(items))
        # Every notification of the day goes to the queue, also those of breaches an earlier,
        # failed attempt wrote: it may have died before queueing them. The sender's delivery
        # records keep a notification from going out twice.
        waiting += [
            NotificationMessage.of(n, request.correlation_id)
            for r in chunk
            for n in r.notifications
        ]
        last = start + CHUNK >= len(routed)
        ready = len(waiting) if last else len(waiting) - len(waiting) % BATCH
        if ready:
            report.queued += deps.queue.send(waiting[:ready])
        waiting = waiting[ready:]


def _finish(
    request: CheckRequest, deps: CheckDeps, report: CheckReport, status: str, error: str = ""
) -> None:
    recorded = deps.runs.finish(
        request.rule,
        request.day,
        request.run_id,
        deps.clock(),
        status=status,
        records=report.records,
        breaches=report.breaches,
        notifications=report.queued,
        error=error or None,
    )
    if not recorded:
        logger.warning(
            "another run took the day over after this run's lease ran out; it finishes the day",
            extra={"status": status},
        )


def _check_for(request: CheckRequest, config: RulesConfig, directory: Directory) -> Check:
    cls = PortalStaleCheck if request.rule == PORTAL_STALE else DossiersOverdueCheck
    return cls(request.day, directory, config)


def _breach_item(routed: RoutedBreach, deps: CheckDeps, run_id: str, now: datetime) -> BreachItem:
    breach, routing = routed.breach, routed.routing
    sms = deps.renderer.sms(breach, routing)
    channels: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for note in routed.notifications:
        channels.setdefault(note.contact.contact_id, []).append(note.channel)
        names[note.contact.contact_id] = note.contact.name
    return BreachItem(
        breach.unit_code,
        f"{breach.day.isoformat()}#{breach.rule}#{breach.subject}",
        date=breach.day.isoformat(),
        rule=breach.rule,
        variant=breach.variant,
        subject=breach.subject,
        value=breach.value,
        threshold=breach.threshold,
        text=sms.text,
        encoding=sms.encoding,
        segments=sms.segments,
        portal_name=breach.portal_name,
        portal_url=breach.portal_url,
        last_published_on=(
            breach.last_published_on.isoformat() if breach.last_published_on else None
        ),
        routing=routing.reason,
        recipient_unit=routing.recipient_unit.code if routing.recipient_unit else None,
        recipients=[
            RecipientAttribute(contact_id=cid, name=names[cid], channels=chs)
            for cid, chs in channels.items()
        ],
        notifications=len(routed.notifications),
        status="unroutable" if routed.unroutable_reason else "routed",
        unroutable_reason=routed.unroutable_reason,
        run_id=run_id,
        created_at=now,
        expires_at=now + deps.retention,
    )


def _log_breach(item: RoutedBreach) -> None:
    breach = item.breach
    extra = {
        "breach_id": breach.breach_id,
        "rule": breach.rule,
        "unit": breach.unit_code,
        "value": breach.value,
        "threshold": breach.threshold,
        "recipient_unit": item.routing.recipient_unit.code if item.routing.recipient_unit else None,
        "recipients": [
            {
                "channel": n.channel,
                "to": mask_phone(n.to) if n.channel == "sms" else mask_email(n.to),
            }
            for n in item.notifications
        ],
    }
    if item.unroutable_reason:
        logger.error("unroutable breach", extra=extra | {"reason": item.unroutable_reason})
    else:
        logger.info("breach", extra=extra)
