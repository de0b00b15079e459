"""Integration fixtures: a moto server over real HTTP, the stack provisioned from
template.yaml, the sample directory loaded, and a real local metrics API server."""

from __future__ import annotations

import functools
import json
import logging
import os
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import boto3
import pytest
import urllib3
from moto.server import ThreadedMotoServer

from ioc_alerts import check_entry
from ioc_alerts.adapters.breach_store import BreachStore
from ioc_alerts.adapters.metrics_api import MetricsApi
from ioc_alerts.adapters.models import TABLE_MODELS, BreachItem, RunItem, bind_tables
from ioc_alerts.check_entry import services
from ioc_alerts.local.metrics_server import LOCAL_TOKEN, MetricsServer
from ioc_alerts.local.provision import Stack, environment, provision

SAMPLES = Path(__file__).resolve().parents[2] / "layers/common/ioc_alerts/samples"
TOKEN_PARAMETER = "/ioc-alerts/test/metrics-api-token"
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "ap-southeast-1",
    "AWS_REGION": "ap-southeast-1",
    "POWERTOOLS_TRACE_DISABLED": "1",
    "POWERTOOLS_METRICS_NAMESPACE": "IocAlerts",
}


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def metrics_api() -> Iterator[MetricsServer]:
    with MetricsServer(page_size=50) as server:
        yield server


def sample_items(name: str, region: str = "soctrang-2023") -> list[Any]:
    items: list[Any] = json.loads((SAMPLES / region / name).read_text(encoding="utf-8"))["items"]
    return items


@pytest.fixture
def stack(
    moto_endpoint: str, metrics_api: MetricsServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Stack]:
    """A fresh emulated account: tables and queues from template.yaml, the API token in SSM,
    the sample directory in the directory table, and the functions' environment set."""
    urllib3.PoolManager().request("POST", f"{moto_endpoint}/moto-api/reset")
    for key, value in (FAKE_AWS | {"AWS_ENDPOINT_URL": moto_endpoint}).items():
        monkeypatch.setenv(key, value)
    session = boto3.Session()
    provisioned = provision(
        session,
        {
            "Stage": "test",
            "MetricsApiUrl": metrics_api.url,
            "MetricsApiTokenParameter": TOKEN_PARAMETER,
        },
    )
    session.client("ssm").put_parameter(
        Name=TOKEN_PARAMETER, Value=LOCAL_TOKEN, Type="SecureString"
    )
    for key, value in environment(provisioned, "CheckPortalsFunction").items():
        monkeypatch.setenv(key, value)
    services.cache_clear()
    from ioc_alerts.cli import main

    assert (
        main(
            [
                "directory",
                "load",
                str(SAMPLES / "soctrang-2023/directory.json"),
                "--table",
                provisioned.tables["DirectoryTable"],
            ]
        )
        == 0
    )
    yield provisioned
    services.cache_clear()
    os.environ.pop("AWS_ENDPOINT_URL", None)


@pytest.fixture
def fast_api(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check's metrics API client with short timeouts and no backoff, so that an outage
    fails (after the same retries) in well under a second instead of the production ~1 min."""
    monkeypatch.setenv("METRICS_API_CONNECT_TIMEOUT", "0.5")
    monkeypatch.setenv("METRICS_API_READ_TIMEOUT", "0.3")
    quick = functools.partial(MetricsApi, backoff=0)
    monkeypatch.setattr(check_entry, "MetricsApi", quick)
    services.cache_clear()


class Account:
    """What the check runs left in the emulated account: breach and run records, and the
    messages in the notification queue."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.sqs = boto3.client("sqs")
        self.queue_url = stack.queues["NotificationQueue"]
        self._received: list[str] = []
        tables = {logical.removesuffix("Table").lower(): n for logical, n in stack.tables.items()}
        bind_tables({k: n for k, n in tables.items() if k in TABLE_MODELS}, FAKE_AWS["AWS_REGION"])

    def queued(self) -> int:
        """How many messages the queue holds (received or not)."""
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return sum(int(value) for value in attributes.values())

    def bodies(self) -> list[str]:
        """The body of every message queued so far (each one received once)."""
        while True:
            batch = self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            ).get("Messages", [])
            if not batch:
                return list(self._received)
            self._received.extend(message["Body"] for message in batch)

    def breaches(self, day: str, rule: str | None = None) -> list[BreachItem]:
        items = BreachStore().for_date(date.fromisoformat(day))
        return [item for item in items if rule is None or item.rule == rule]

    def all_breaches(self) -> int:
        """Breach records of any date and rule."""
        return sum(1 for _ in BreachItem.scan())

    def run(self, rule: str, day: str) -> RunItem | None:
        try:
            return RunItem.get(rule, day, consistent_read=True)
        except RunItem.DoesNotExist:
            return None


@pytest.fixture
def account(stack: Stack) -> Account:
    return Account(stack)


@pytest.fixture
def emitted(capsys: pytest.CaptureFixture[str]) -> Callable[[], dict[str, list[float]]]:
    """The metrics the handlers printed (CloudWatch EMF) since the last call, by name."""

    def read() -> dict[str, list[float]]:
        metrics: dict[str, list[float]] = {}
        for line in capsys.readouterr().out.splitlines():
            if '"_aws"' not in line:
                continue
            blob = json.loads(line)
            for definition in blob["_aws"]["CloudWatchMetrics"]:
                for metric in definition["Metrics"]:
                    value = blob[metric["Name"]]
                    values = value if isinstance(value, list) else [value]
                    metrics.setdefault(metric["Name"], []).extend(values)
        return metrics

    return read


# --- the send function (test_send_*.py) ---------------------------------------------------


_send_cold_start: list[Any] = []


@pytest.fixture
def send_stack(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Stack:
    """A fresh emulated account for the send function: the tables and queues of
    template.yaml, the sample directory in its table, and the function's environment as the
    template sets it (the send rates unlimited: tests need not wait on quotas). Unlike
    `stack`, no metrics API and no token: the send function uses neither.

    Building the function's services (rules, templates, SDK clients, table bindings) takes
    a good fraction of a second, so one real cold start serves the session; each test gets
    its own copy of the dependencies (what `send_entry.services()` returns, to the handler
    too) to change at will."""
    import dataclasses
    from datetime import UTC, datetime

    from ioc_alerts import send_entry
    from ioc_alerts.adapters.directory_table import item_of
    from ioc_alerts.adapters.models import UnitItem
    from ioc_alerts.directory_files import load_directory

    urllib3.PoolManager().request("POST", f"{moto_endpoint}/moto-api/reset")
    for key, value in (FAKE_AWS | {"AWS_ENDPOINT_URL": moto_endpoint}).items():
        monkeypatch.setenv(key, value)
    provisioned = provision(boto3.Session(), {"Stage": "test"})
    for key, value in environment(provisioned, "SendAlertFunction").items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SMS_RATE_PER_SECOND", "0")
    monkeypatch.setenv("EMAIL_RATE_PER_SECOND", "0")
    if not _send_cold_start:
        send_entry.services.cache_clear()
        _send_cold_start.append(send_entry.services())
        send_entry.services.cache_clear()
    built = _send_cold_start[0]
    own = dataclasses.replace(built, deps=dataclasses.replace(built.deps))
    monkeypatch.setattr(send_entry, "services", lambda: own)
    directory, problems = load_directory(SAMPLES / "soctrang-2023/directory.json")
    assert problems == []
    with UnitItem.batch_write() as batch:
        for unit in directory.values():
            batch.save(item_of(unit, datetime(2023, 11, 6, tzinfo=UTC)))
    return provisioned


class NotificationPoller:
    """Lambda's SQS event source mapping, by hand: receives up to ten messages of the
    notification queue as the send function's event, then settles the batch the way
    ReportBatchItemFailures does: the failed records stay (visible again at once here,
    instead of after the visibility timeout), the others are deleted."""

    def __init__(self, stack: Stack) -> None:
        self.sqs = boto3.client("sqs")
        self.queue_url = stack.queues["NotificationQueue"]
        self.queue_arn = stack.queue_arns["NotificationQueue"]
        self.dead_letter_url = stack.queues["NotificationDeadLetterQueue"]

    def receive(self) -> dict[str, Any]:
        """Up to ten messages, as the event Lambda's SQS integration would send (the receive
        count among each record's attributes)."""
        from ioc_alerts.local.sqs_event import lambda_record

        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
        ).get("Messages", [])
        return {"Records": [lambda_record(message, self.queue_arn) for message in messages]}

    def settle(self, event: dict[str, Any], response: dict[str, Any]) -> None:
        failed = {failure["itemIdentifier"] for failure in response["batchItemFailures"]}
        for record in event["Records"]:
            if record["messageId"] in failed:
                self.sqs.change_message_visibility(
                    QueueUrl=self.queue_url,
                    ReceiptHandle=record["receiptHandle"],
                    VisibilityTimeout=0,
                )
            else:
                self.sqs.delete_message(
                    QueueUrl=self.queue_url, ReceiptHandle=record["receiptHandle"]
                )

    def dead_letters(self) -> list[str]:
        """The bodies in the dead-letter queue."""
        messages = self.sqs.receive_message(
            QueueUrl=self.dead_letter_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
        ).get("Messages", [])
        return [message["Body"] for message in messages]


@pytest.fixture
def poller(send_stack: Stack) -> NotificationPoller:
    return NotificationPoller(send_stack)


@pytest.fixture
def outbox(moto_endpoint: str) -> Callable[[], dict[str, list[dict[str, Any]]]]:
    """What the emulated SNS and SES have sent so far (GET /moto-api/data.json):
    {"sms": [{"phone_number", "message", ...}], "email": [{"source", "destinations",
    "subject", "body"}]}."""

    def read() -> dict[str, list[dict[str, Any]]]:
        response = urllib3.PoolManager().request("GET", f"{moto_endpoint}/moto-api/data.json")
        data = json.loads(response.data)
        return {"sms": data["sns"]["SMS"], "email": data["ses"]["Message"]}

    return read
