"""Adapter tests against moto in-process: every test runs inside `mock_aws()` with fake
credentials, so nothing can reach a real account; `tables` creates the stack's tables from
template.yaml itself and points the pynamodb models at them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from ioc_alerts.adapters.models import TABLE_MODELS, BreachItem, bind_tables
from ioc_alerts.directory import Directory
from ioc_alerts.directory_files import load_directory
from ioc_alerts.local.provision import Stack, load_template, provision

REGION = "ap-southeast-1"
SAMPLE_DIRECTORY = (
    Path(__file__).resolve().parents[2]
    / "layers/common/ioc_alerts/samples/soctrang-2023/directory.json"
)
BreachFactory = Callable[..., BreachItem]
NOW = datetime(2023, 11, 6, 1, 0, tzinfo=UTC)  # 08:00 on Monday 6 November 2023, Vietnam time


@pytest.fixture(autouse=True)
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(key, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    return load_template()


@pytest.fixture(scope="session")
def session() -> boto3.Session:
    # One session for the whole run: its clients share loaded service models (~0.1 s each).
    return boto3.Session(region_name=REGION)


@pytest.fixture
def tables(session: boto3.Session, template: dict[str, Any]) -> Stack:
    """The template's tables (and queues), with the models bound to them."""
    stack = provision(session, {"Stage": "unit"}, template)
    # DirectoryTable -> "directory", BreachesTable -> "breaches", ...: the models' keys.
    names = {logical.removesuffix("Table").lower(): name for logical, name in stack.tables.items()}
    bind_tables({key: name for key, name in names.items() if key in TABLE_MODELS}, REGION)
    return stack


@pytest.fixture(scope="session")
def sample_directory() -> Directory:
    directory, problems = load_directory(SAMPLE_DIRECTORY)
    assert problems == []
    return directory


def breach_item(unit: str, day: date, subject: str | None = None, **fields: Any) -> BreachItem:
    """A breach record (of the overdue-dossiers rule unless `rule` is given), plausible values."""
    subject = subject or unit
    rule = fields.pop("rule", "dossiers_overdue")
    values: dict[str, Any] = {
        "date": day.isoformat(),
        "rule": rule,
        "variant": "default",
        "subject": subject,
        "value": 3,
        "threshold": 2,
        "text": f"{unit} đã trễ hạn 3 hồ sơ dịch vụ công",
        "encoding": "UCS-2",
        "segments": 1,
        "routing": "own_unit",
        "recipient_unit": unit,
        "notifications": 4,
        "status": "queued",
        "run_id": "run-1",
        "created_at": NOW,
        "expires_at": NOW + timedelta(days=400),
    }
    return BreachItem(unit, f"{day.isoformat()}#{rule}#{subject}", **(values | fields))


@pytest.fixture(scope="session")
def make_breach() -> BreachFactory:
    return breach_item
