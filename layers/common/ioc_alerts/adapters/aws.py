"""One AWS session per process. Every client, boto3's and pynamodb's, is made from the same
botocore session, so the SDK's service and endpoint data (tens of MB once parsed) are
loaded once rather than once per client."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

# botocore's standard retry mode: throttling and transient errors, with backoff and jitter.
AWS_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, max_pool_connections=32)


@cache
def session(region: str) -> boto3.session.Session:
    return boto3.session.Session(region_name=region)


def client(service: str, region: str) -> Any:
    return session(region).client(service, config=AWS_CONFIG)  # type: ignore[call-overload]


def share_session(connection: Any, region: str) -> None:
    """Make a pynamodb connection build its client from the shared botocore session. (It
    would otherwise make a session of its own, per thread.)"""
    connection._local.session = session(region)._session
