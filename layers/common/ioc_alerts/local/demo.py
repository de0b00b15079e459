"""The local run of the whole service: `ioc-alerts demo` / `make demo`.

It starts a moto server and a metrics API on loopback (or uses the ones given), provisions
the stack from template.yaml, loads the scenario's directory, and then, day by day, runs the
check functions' real handlers with scheduler-shaped events and drains the notification
queue through the send function's real handler in SQS-event batches, as Lambda would. The
outbox it prints is read back from what SNS and SES accepted. Everything it started is
stopped on the way out, also on Ctrl-C or an error.
"""

from __future__ import annotations

import html
import json
import logging
import os
import signal
import warnings
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, redirect_stdout
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TextIO

import boto3

from ioc_alerts.adapters.metrics_api import DOSSIERS, PORTALS
from ioc_alerts.adapters.models import BreachItem, DeliveryItem
from ioc_alerts.config import DOSSIERS_OVERDUE, PORTAL_STALE, RulesConfig, load_rules
from ioc_alerts.directory_files import load_directory
from ioc_alerts.directory_sync import sync_directory
from ioc_alerts.local.emulator import FAKE_CREDENTIALS, moto_server
from ioc_alerts.local.faults import Throttler
from ioc_alerts.local.invoke import invoke
from ioc_alerts.local.metrics_server import LOCAL_TOKEN, MetricsServer
from ioc_alerts.local.outbox import Delivered, accepted, from_delivery_records
from ioc_alerts.local.provision import Stack, environment, provision
from ioc_alerts.local.scenario import Scenario, load_scenario
from ioc_alerts.local.sqs_event import receive_batch
from ioc_alerts.vietnam_time import VIETNAM, WEEKDAY_NAMES_VI, format_day, weekday_code

STAGE = "demo"
TOKEN_PARAMETER = "/ioc-alerts/demo/metrics-api-token"  # noqa: S105 (a name, not a secret)
CHECKS = (("check_portals", PORTAL_STALE), ("check_dossiers", DOSSIERS_OVERDUE))


@dataclass
class DemoOptions:
    dates: list[date] = field(default_factory=list)
    start: date | None = None
    end: date | None = None
    scenario: Path | None = None
    json: bool = False
    aws_endpoint_url: str | None = None
    metrics_url: str | None = None
    out_dir: Path = Path("demo-out")
    throttle: float = 0.0


@dataclass
class Line:
    """One delivered SMS or e-mail, joined with the delivery record that sent it."""

    date: str
    rule: str
    unit: str
    recipient_unit: str
    channel: str
    to: str
    text: str
    segments: int | None
    html: str | None = None

    def as_json(self) -> dict[str, Any]:
        line = {k: v for k, v in self.__dict__.items() if k != "html"}
        if self.channel != "sms":
            line.pop("segments")
        return line


@dataclass
class Totals:
    check_runs: int = 0
    check_errors: int = 0
    breaches: int = 0
    unroutable: int = 0
    queued: int = 0
    sms: int = 0
    sms_parts: int = 0
    emails: int = 0
    retries: int = 0
    failed: int = 0
    dead_lettered: int = 0
    throttled: int = 0


class Demo:
    def __init__(self, options: DemoOptions, out: TextIO, err: TextIO) -> None:
        self.options, self.out, self.err = options, out, err
        self.scenario: Scenario = load_scenario(options.scenario)
        self.config: RulesConfig = load_rules()
        self.totals = Totals()
        self.lines: list[Line] = []
        self.endpoint = ""
        self.stack: Stack | None = None
        self.metrics: MetricsServer | None = None
        self.throttler: Throttler | None = None

    # ------------------------------------------------------------------ setup
    def days(self) -> list[date]:
        if self.options.dates:
            return list(self.options.dates)
        start = self.options.start or self.scenario.from_
        end = self.options.end or self.scenario.to
        if end < start:
            raise ValueError(f"--to {end} is before --from {start}")
        return [start + timedelta(days=i) for i in range((end - start).days + 1)]

    def start(self, stack: ExitStack) -> None:
        if self.options.aws_endpoint_url:
            self.endpoint = self.options.aws_endpoint_url
            origin = "given"
        else:
            os.environ.update(FAKE_CREDENTIALS)
            self.endpoint = stack.enter_context(moto_server())
            origin = "started here"
        os.environ["AWS_ENDPOINT_URL"] = self.endpoint
        os.environ.setdefault("AWS_REGION", "ap-southeast-1")
        os.environ.setdefault("AWS_DEFAULT_REGION", os.environ["AWS_REGION"])
        if self.options.metrics_url:
            api_url, token = self.options.metrics_url, os.environ.get("IOC_METRICS_API_TOKEN", "")
            if not token:
                raise ValueError("--metrics-url needs the API token in IOC_METRICS_API_TOKEN")
            api_origin = "given"
        else:
            self.metrics = stack.enter_context(MetricsServer())
            api_url, token, api_origin = self.metrics.url, LOCAL_TOKEN, "started here"
        session = boto3.Session()
        self.stack = provision(
            session,
            {
                "Stage": STAGE,
                "MetricsApiUrl": api_url,
                "MetricsApiTokenParameter": TOKEN_PARAMETER,
                "SmsRatePerSecond": "0",
                "EmailRatePerSecond": "0",
            },
            exist_ok=True,
        )
        session.client("ssm").put_parameter(
            Name=TOKEN_PARAMETER, Value=token, Type="SecureString", Overwrite=True
        )
        for function in ("CheckPortalsFunction", "SendAlertFunction"):
            os.environ.update(environment(self.stack, function))
        os.environ["POWERTOOLS_TRACE_DISABLED"] = "1"  # no X-Ray daemon here
        self.log_path = self.options.out_dir / "function-logs.jsonl"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_stream = stack.enter_context(self.log_path.open("w", encoding="utf-8"))
        directory, problems = load_directory(self.scenario.directory)
        changes = sync_directory(directory, self.stack.tables["DirectoryTable"])
        self.codes = [code for code, unit in directory.items() if unit.level.value != "province"]
        self.say(
            f"IOC Alerts demo: {self.scenario.name}\n"
            f"  AWS endpoint {self.endpoint} ({origin}); metrics API {api_url} ({api_origin})\n"
            f"  provisioned from template.yaml: {len(self.stack.tables)} tables, "
            f"{len(self.stack.queues)} queues, SES identity and configuration set\n"
            f"  directory {self.scenario.directory.name}: {len(directory)} units "
            f"({len(changes.added)} added, {len(changes.changed)} changed, "
            f"{len(problems)} rows rejected)\n"
            f"  the functions' logs and metrics (as CloudWatch would hold them): {self.log_path}"
        )
        if self.options.throttle:
            from ioc_alerts.send_entry import services

            deps = services().deps
            self.throttler = Throttler(self.options.throttle)
            self.throttler.attach(deps.sms._sns, deps.email._ses)  # type: ignore[attr-defined]

    # ------------------------------------------------------------------ one day
    def run_day(self, day: date) -> None:
        self.say(f"\n── {WEEKDAY_NAMES_VI[day.weekday()]} {format_day(day)} ({day.isoformat()})")
        if self.metrics is not None:
            check_at = time.fromisoformat(self.config.rules.portal_stale.schedule.time)
            self.metrics.set_items(PORTALS, self.scenario.portal_items(day, check_at))
            self.metrics.set_items(DOSSIERS, self.scenario.dossier_items(day, self.codes))
        before = {d.message_id for d in self.outbox()}
        for function, rule in CHECKS:
            schedule = getattr(self.config.rules, rule).schedule
            if not schedule.includes(weekday_code(day)):
                continue
            self.check(function, rule, day, schedule.time)
        self.drain()
        self.report_unroutable(day)
        delivered = [d for d in self.outbox() if d.message_id not in before]
        self.show(delivered)

    def check(self, function: str, rule: str, day: date, at: str) -> None:
        scheduled = datetime.combine(day, time.fromisoformat(at), VIETNAM).astimezone(UTC)
        event = {
            "scheduled_time": scheduled.isoformat().replace("+00:00", "Z"),
            "execution_id": f"demo-{rule}-{day.isoformat()}",
        }
        self.totals.check_runs += 1
        try:
            with _into(self.log_stream):
                report = invoke(function, event, timeout_seconds=300)
        except Exception as exc:  # the run fails loudly, as it would in AWS; the demo goes on
            self.totals.check_errors += 1
            self.say(f"  {function} at {at}: FAILED: {type(exc).__name__}: {exc}")
            return
        self.totals.breaches += report["breaches"] if report["status"] == "completed" else 0
        self.totals.unroutable += report["unroutable"] if report["status"] == "completed" else 0
        self.totals.queued += report["queued"]
        self.say(
            f"  {function} at {at}: {report['status']}; {report['records']} records, "
            f"{report['breaches']} breaches ({report['unroutable']} unroutable), "
            f"{report['queued']} notifications queued, {report['data_problems']} data problems"
        )

    def drain(self) -> None:
        """Feed the queue to send_alert in batches of ten until it is empty, as Lambda's SQS
        poller does; failed items come back (visibility cut to 0) until done or dead-lettered."""
        assert self.stack is not None
        sqs = boto3.client("sqs")
        queue, dlq = (
            self.stack.queues["NotificationQueue"],
            self.stack.queues["NotificationDeadLetterQueue"],
        )
        dead_before = _count(sqs, dlq)
        for _ in range(10_000):
            event, handles = receive_batch(sqs, queue, 10)
            if not event["Records"]:
                break
            try:
                with _into(self.log_stream):
                    response = invoke("send_alert", event, timeout_seconds=30)
                failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
            except Exception as exc:
                self.say(f"  send_alert failed as a whole: {type(exc).__name__}: {exc}")
                failed = {r["messageId"] for r in event["Records"]}
            for record, handle in zip(event["Records"], handles, strict=True):
                if record["messageId"] in failed:
                    self.totals.retries += 1
                    sqs.change_message_visibility(
                        QueueUrl=queue, ReceiptHandle=handle, VisibilityTimeout=0
                    )
                else:
                    sqs.delete_message(QueueUrl=queue, ReceiptHandle=handle)
        self.totals.dead_lettered += _count(sqs, dlq) - dead_before

    def report_unroutable(self, day: date) -> None:
        for item in BreachItem.by_date.query(day.isoformat()):
            if item.status == "unroutable":
                self.say(
                    f"  unroutable: {item.unit} ({item.rule}, value {item.value}): "
                    f"{item.unroutable_reason}"
                )

    # ------------------------------------------------------------------ the outbox
    def outbox(self) -> list[Delivered]:
        found = accepted(self.endpoint)
        return found if found is not None else from_delivery_records()

    def show(self, delivered: list[Delivered]) -> None:
        records = {
            str(r.provider_message_id): r
            for r in DeliveryItem.scan(DeliveryItem.provider_message_id.exists())
        }
        lines = []
        for item in delivered:
            record = records.get(item.message_id)
            if record is None:
                continue  # not sent by this service (another client of the endpoint)
            lines.append(
                Line(
                    date=str(record.breach_id).rsplit("#", 1)[-1],
                    rule=str(record.rule),
                    unit=str(record.unit),
                    recipient_unit=str(record.recipient_unit),
                    channel=item.channel,
                    to=item.to,
                    text=item.text,
                    segments=int(record.segments) if record.segments is not None else None,
                    html=item.html,
                )
            )
        # One breach's SMS and e-mails together, in a stable order.
        lines.sort(key=lambda x: (x.rule, x.unit, x.channel != "sms", x.to))
        for line in lines:
            self.lines.append(line)
            if line.channel == "sms":
                self.totals.sms += 1
                self.totals.sms_parts += line.segments or 1
            else:
                self.totals.emails += 1
            if self.options.json:
                self.out.write(json.dumps(line.as_json(), ensure_ascii=False) + "\n")
            elif line.channel == "sms":
                self.say(f"  SMS    {line.to:<30} {line.text}  [{line.segments} part(s)]")
            else:
                self.say(f"  e-mail {line.to:<30} {line.text}")
        failed = list(DeliveryItem.scan(DeliveryItem.status.is_in("failed", "dead_letter")))
        self.totals.failed = len(failed)

    # ------------------------------------------------------------------ the end
    def finish(self, days: list[date]) -> Path:
        page = self.write_html(days)
        t = self.totals
        if self.throttler is not None:
            t.throttled = self.throttler.throttled
        self.say(
            f"\nSummary, {len(days)} day(s) {format_day(days[0])}–{format_day(days[-1])}: "
            f"{t.check_runs} check runs ({t.check_errors} failed); {t.breaches} breaches "
            f"({t.unroutable} unroutable); {t.queued} notifications queued; delivered "
            f"{t.sms} SMS ({t.sms_parts} parts) and {t.emails} e-mails; {t.retries} retried, "
            f"{t.failed} failed, {t.dead_lettered} in the dead-letter queue"
            + (f"; {t.throttled} calls throttled on purpose" if self.throttler else "")
            + f".\nE-mails as rendered: {page}"
        )
        return page

    def write_html(self, days: list[date]) -> Path:
        self.options.out_dir.mkdir(parents=True, exist_ok=True)
        page = self.options.out_dir / "emails.html"
        parts = [
            "<!DOCTYPE html><html lang='vi'><head><meta charset='utf-8'>",
            f"<title>IOC Alerts demo: e-mails {days[0]} – {days[-1]}</title>",
            "<style>body{font-family:Arial,sans-serif;margin:2em}iframe{width:100%;"
            "height:520px;border:1px solid #ccc}h2{font-size:15px;margin-top:2em}</style>",
            f"</head><body><h1>E-mails sent {format_day(days[0])} – {format_day(days[-1])}</h1>",
        ]
        for line in (x for x in self.lines if x.channel == "email"):
            parts.append(
                f"<h2>{html.escape(line.date)} · {html.escape(line.to)} · "
                f"{html.escape(line.text)}</h2>"
                f'<iframe sandbox srcdoc="{html.escape(line.html or "", quote=True)}"></iframe>'
            )
        parts.append("</body></html>")
        page.write_text("\n".join(parts), encoding="utf-8")
        return page

    def say(self, text: str) -> None:
        (self.err if self.options.json else self.out).write(text + "\n")


def _count(sqs: Any, queue_url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


@contextmanager
def _into(stream: TextIO) -> Iterator[None]:
    """What a function prints (Powertools' JSON logs and EMF metrics) goes to `stream`, as
    it would go to CloudWatch, and not to the terminal."""
    from ioc_alerts.observability import logger

    handler = logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    previous = handler.setStream(stream)
    try:
        with redirect_stdout(stream), warnings.catch_warnings():
            # One process runs all three functions here; in Lambda each has its own, so the
            # shared Metrics object's "dimension already added" warning does not apply.
            warnings.simplefilter("ignore")
            yield
    finally:
        handler.setStream(previous)


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C, so the servers we started are stopped."""

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_demo(options: DemoOptions, out: TextIO, err: TextIO) -> Totals:
    demo = Demo(options, out, err)
    days = demo.days()
    with ExitStack() as stack:
        stack.enter_context(_terminate_as_interrupt())
        demo.start(stack)
        for day in days:
            demo.run_day(day)
        demo.finish(days)
    return demo.totals
