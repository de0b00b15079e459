"""Integration fixtures: a moto server over real HTTP, the stack provisioned from
template.yaml, the sample directory loaded, and a real local metrics API server."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import urllib3
from moto.server import ThreadedMotoServer

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
