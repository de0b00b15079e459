"""A moto server in its own process, on a free loopback port, stopped on exit (also on
Ctrl-C or error), and a counter of the AWS requests this process makes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import urllib3

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "ap-southeast-1",
    "AWS_REGION": "ap-southeast-1",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def moto_server(timeout: float = 30.0) -> Iterator[str]:
    """Start `python -m moto.server` on loopback; yields its endpoint URL."""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-m", "ioc_alerts.local.moto_server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(endpoint, process, timeout)
        yield endpoint
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def wait_until_up(endpoint: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    http = urllib3.PoolManager(retries=False, timeout=1.0)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto server exited with status {process.returncode}")
        try:
            if http.request("GET", f"{endpoint}/moto-api/data.json").status == 200:
                return
        except urllib3.exceptions.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"moto server did not answer on {endpoint} within {timeout:.0f} s")


class RequestCounter:
    """Counts every HTTP request botocore sends (retries included), by operation."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def add(self, request: Any) -> None:
        target = request.headers.get("X-Amz-Target")
        if isinstance(target, bytes):
            target = target.decode()
        name = target.split(".")[-1] if target else _query_action(request)
        with self._lock:
            self.counts[name] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _query_action(request: Any) -> str:
    body = request.body
    if isinstance(body, bytes):
        body = body.decode(errors="replace")
    if isinstance(body, str) and "Action=" in body:
        return body.split("Action=", 1)[1].split("&", 1)[0]
    return f"{request.method} {request.url.split('?')[0].rsplit('/', 1)[-1]}"


@contextmanager
def counting_aws_requests(latency: float = 0.0) -> Iterator[RequestCounter]:
    """Patch botocore's HTTP session so that every AWS request of this process is counted,
    and optionally delayed by `latency` seconds: the network round trip to a real AWS
    endpoint, which a loopback emulator does not have."""
    from botocore.httpsession import URLLib3Session

    counter = RequestCounter()
    original = URLLib3Session.send

    def send(self: URLLib3Session, request: Any) -> Any:
        counter.add(request)
        if latency:
            time.sleep(latency)
        return original(self, request)

    URLLib3Session.send = send  # type: ignore[method-assign]
    try:
        yield counter
    finally:
        URLLib3Session.send = original  # type: ignore[method-assign]
