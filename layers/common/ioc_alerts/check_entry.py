"""What the check functions' handlers call: event -> request, services, run, metrics.

Services (clients, tables, rules) are built once per Lambda container and reused by warm
invocations; the directory is read afresh on every run, since operators update it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities import parameters
from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError

from ioc_alerts.adapters import aws
from ioc_alerts.adapters.breach_store import BreachStore
from ioc_alerts.adapters.directory_table import DirectoryTable
from ioc_alerts.adapters.metrics_api import (
    DOSSIERS,
    PORTALS,
    CallStats,
    MetricsApi,
    MetricsApiError,
)
from ioc_alerts.adapters.models import bind_tables
from ioc_alerts.adapters.notification_queue import NotificationQueue
from ioc_alerts.adapters.run_log import RunLog
from ioc_alerts.check_run import CheckDeps, CheckReport, CheckRequest, run_check
from ioc_alerts.config import PORTAL_STALE, RulesConfig, load_rules
from ioc_alerts.observability import logger, metrics
from ioc_alerts.problems import InputError
from ioc_alerts.render import Renderer
from ioc_alerts.settings import Settings
from ioc_alerts.vietnam_time import VIETNAM, vietnam_date


class CheckEvent(BaseModel):
    """A scheduler event ({"scheduled_time", "execution_id"}) or a manual one ({"date"})."""

    model_config = ConfigDict(extra="forbid")

    scheduled_time: AwareDatetime | None = None
    execution_id: str | None = None
    date: dt.date | None = None
    dry_run: bool = False


def request_from_event(rule: str, event: Any, request_id: str) -> CheckRequest:
    try:
        parsed = CheckEvent.model_validate(event if event is not None else {})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'event'}: {err['msg']}"
            for err in exc.errors(include_url=False)
        )
        raise InputError(
            f"check event is not valid ({problems}); expected "
            '{"scheduled_time": ISO timestamp, "execution_id": str} from the scheduler or '
            '{"date": "YYYY-MM-DD", "dry_run": true|false} by hand'
        ) from exc
    if parsed.date is not None:
        day = parsed.date
    elif parsed.scheduled_time is not None:
        # The scheduled time, not the clock: a retried or late run checks the intended day.
        day = vietnam_date(parsed.scheduled_time)
    else:
        raise InputError('check event needs "scheduled_time" (scheduler) or "date" (manual)')
    correlation = parsed.execution_id or f"manual-{request_id}"
    return CheckRequest(
        rule,
        day,
        run_id=str(uuid.uuid4()),
        correlation_id=correlation,
        dry_run=parsed.dry_run,
        scheduled_time=parsed.scheduled_time,
        invocation_id=request_id,
    )


@dataclass
class CheckServices:
    settings: Settings
    config: RulesConfig
    renderer: Renderer
    api: MetricsApi
    directory: DirectoryTable
    runs: RunLog
    breaches: BreachStore
    queue: NotificationQueue


@cache
def services() -> CheckServices:
    settings = Settings.from_env()
    bind_tables(settings.tables, settings.region)
    config = load_rules(settings.rules_file)
    token_name = settings.metrics_api_token_parameter
    ssm = parameters.SSMProvider(boto3_client=aws.client("ssm", settings.region))
    if not settings.metrics_api_url or not token_name:
        raise InputError("METRICS_API_URL and METRICS_API_TOKEN_PARAMETER must be set")
    return CheckServices(
        settings=settings,
        config=config,
        renderer=Renderer(config),
        api=MetricsApi(
            settings.metrics_api_url,
            lambda: str(ssm.get(token_name, decrypt=True, max_age=300)),
            connect_timeout=settings.metrics_api_connect_timeout,
            read_timeout=settings.metrics_api_read_timeout,
            attempts=settings.metrics_api_attempts,
        ),
        directory=DirectoryTable(),
        runs=RunLog(settings.breach_retention_days),
        breaches=BreachStore(),
        queue=NotificationQueue(
            aws.client("sqs", settings.region),
            settings.queue_url,
        ),
    )


def handle_check(rule: str, event: Any, context: Any) -> dict[str, Any]:
    request = request_from_event(rule, event, getattr(context, "aws_request_id", "local"))
    logger.set_correlation_id(request.correlation_id)
    logger.append_keys(rule=rule, date=request.day.isoformat(), run_id=request.run_id)
    metrics.add_dimension(name="rule", value=rule)
    svc = services()
    svc.api.stats = CallStats()
    _warn_if_off_schedule(rule, request.scheduled_time, svc.config)
    remaining = getattr(context, "get_remaining_time_in_millis", lambda: 900_000)()
    deps = CheckDeps(
        read_directory=svc.directory.read,
        config=svc.config,
        renderer=svc.renderer,
        runs=svc.runs,
        breaches=svc.breaches,
        queue=svc.queue,
        clock=lambda: datetime.now(UTC),
        # The claim outlives this invocation: a retry can take over only once we are gone.
        lease=timedelta(milliseconds=remaining) + timedelta(seconds=60),
        retention=timedelta(days=svc.settings.breach_retention_days),
    )
    pages = svc.api.pages(PORTALS if rule == PORTAL_STALE else DOSSIERS)
    try:
        report = run_check(request, deps, pages)
    except MetricsApiError:
        metrics.add_metric(name="ApiErrors", unit=MetricUnit.Count, value=1)
        logger.exception("metrics API outage: run failed, nothing sent")
        raise
    finally:
        metrics.add_metric(name="ApiRequests", unit=MetricUnit.Count, value=svc.api.stats.requests)
    report.api_requests = svc.api.stats.requests
    publish(report)
    logger.info("check run finished", extra=report.as_dict())
    return report.as_dict()


def publish(report: CheckReport) -> None:
    """The run's figures as EMF metrics. The data-quality ones on every run that read the API;
    the breach ones only for the run that completed the day, so that a dry run or a run that
    found the day taken does not count (or alarm on) breaches twice."""
    figures = [
        ("RecordsChecked", report.records),
        ("InvalidRecords", report.invalid_records),
        ("DataProblems", report.data_problems),
    ]
    if report.status == "completed":
        figures += [
            ("Breaches", report.breaches),
            ("NewBreaches", report.new_breaches),
            ("Unroutable", report.unroutable),
            ("NotificationsQueued", report.queued),
        ]
    for name, value in figures:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def _warn_if_off_schedule(rule: str, scheduled: datetime | None, config: RulesConfig) -> None:
    if scheduled is None:
        return
    expected = getattr(config.rules, rule).schedule.time
    actual = scheduled.astimezone(VIETNAM).strftime("%H:%M")
    if actual != expected:
        logger.warning(
            "schedule time differs from the rules file",
            extra={"scheduled": actual, "rules_file_time": expected},
        )
