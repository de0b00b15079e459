"""What the send function's handler calls: an SQS batch -> one delivery per record, in
parallel, with Powertools' partial batch response (only failed records are retried)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import ValidationError

from ioc_alerts.adapters import aws
from ioc_alerts.adapters.channels import EmailChannel, RateLimiter, SmsChannel
from ioc_alerts.adapters.delivery_store import DeliveryStore
from ioc_alerts.adapters.directory_table import DirectoryTable
from ioc_alerts.adapters.models import bind_tables
from ioc_alerts.config import load_rules
from ioc_alerts.directory import Unit
from ioc_alerts.messages import NotificationMessage
from ioc_alerts.observability import logger, metrics
from ioc_alerts.render import Renderer
from ioc_alerts.sending import Outcome, SendDeps, deliver, units_needed
from ioc_alerts.settings import Settings

METRIC_OF_STATUS = {
    "sent": "NotificationsSent",
    "failed": "NotificationsFailed",
    "opted_out": "NotificationsOptedOut",
    "dry_run": "NotificationsDryRun",
    "duplicate": "DuplicateDeliveries",
}


class ConcurrentBatchProcessor(BatchProcessor):
    """Powertools' SQS batch processor, with the records of a batch handled in parallel
    threads: a send waits on the network, so ten take about as long as one."""

    def process(self) -> list[tuple[Any, ...]]:
        if len(self.records) <= 1:
            return super().process()
        with ThreadPoolExecutor(max_workers=len(self.records)) as pool:
            return list(pool.map(self._process_record, self.records))


@dataclass
class SendServices:
    settings: Settings
    deps: SendDeps
    directory: DirectoryTable


@cache
def services() -> SendServices:
    settings = Settings.from_env()
    bind_tables(settings.tables, settings.region)
    config = load_rules(settings.rules_file)
    return SendServices(
        settings=settings,
        deps=SendDeps(
            renderer=Renderer(config),
            deliveries=DeliveryStore(timedelta(days=settings.breach_retention_days)),
            sms=SmsChannel(
                aws.client("sns", settings.region),
                sender_id=settings.sms_sender_id,
                max_price=settings.sms_max_price,
                rate=RateLimiter(settings.sms_rate_per_second),
            ),
            email=EmailChannel(
                aws.client("sesv2", settings.region),
                from_address=settings.email_from,
                configuration_set=settings.ses_configuration_set,
                rate=RateLimiter(settings.email_rate_per_second),
            ),
            clock=lambda: datetime.now(UTC),
            lease=timedelta(seconds=60),
            dry_run=settings.dry_run,
            max_receive_count=settings.max_receive_count,
        ),
        directory=DirectoryTable(),
    )


def handle_batch(event: dict[str, Any], context: Any) -> dict[str, Any]:
    svc = services()
    remaining = getattr(context, "get_remaining_time_in_millis", lambda: 30_000)()
    # The claim outlives this invocation, so a crash lets SQS's next delivery take over.
    svc.deps.lease = timedelta(milliseconds=remaining) + timedelta(seconds=10)
    records = event.get("Records", [])
    messages = {r.get("messageId"): _parse(r) for r in records}
    units = _units([m for m in messages.values() if m is not None], svc.directory)
    outcomes: list[Outcome] = []

    def record_handler(record: SQSRecord) -> str:
        logger.thread_safe_append_keys(message_id=record.message_id)
        try:
            message = messages.get(record.message_id)
            if message is None:
                raise ValueError("not a notification message (see the earlier error)")
            logger.thread_safe_append_keys(
                notification_id=message.notification_id,
                channel=message.channel,
                rule=message.breach.rule,
                unit=message.breach.unit_code,
                check_correlation_id=message.correlation_id,
            )
            receive_count = int(record.attributes.approximate_receive_count or 1)
            outcome = deliver(message, units, receive_count, svc.deps)
            outcomes.append(outcome)  # list.append is atomic; metrics are added below
            return outcome.status
        finally:
            logger.thread_safe_clear_keys()

    response = process_partial_response(
        event=event,
        record_handler=record_handler,
        processor=ConcurrentBatchProcessor(
            event_type=EventType.SQS, raise_on_entire_batch_failure=False
        ),
        context=context,
    )
    # Powertools' Metrics is not thread-safe: add the figures here, in the handler's thread.
    for outcome in outcomes:
        metrics.add_metric(name=METRIC_OF_STATUS[outcome.status], unit=MetricUnit.Count, value=1)
        if outcome.segments and outcome.status == "sent":
            metrics.add_metric(name="SmsSegments", unit=MetricUnit.Count, value=outcome.segments)
    failures = len(response.get("batchItemFailures", []))
    if failures:
        metrics.add_metric(name="DeliveriesRetried", unit=MetricUnit.Count, value=failures)
    return dict(response)


def _parse(record: dict[str, Any]) -> NotificationMessage | None:
    try:
        return NotificationMessage.model_validate_json(record.get("body", ""))
    except ValidationError as exc:
        logger.error(
            "malformed queue message: it will go to the DLQ after its retries",
            extra={
                "message_id": record.get("messageId"),
                "error": exc.errors(include_input=False)[:3],
            },
        )
        return None


def _units(messages: list[NotificationMessage], directory: DirectoryTable) -> dict[str, Unit]:
    """One directory read for the whole batch (BatchGetItem)."""
    codes = units_needed(messages)
    return directory.get(codes) if codes else {}
