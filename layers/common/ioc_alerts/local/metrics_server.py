"""A real local HTTP server that speaks the metrics API contract (docs/metrics-api.md).

Used by the integration tests, the benchmark and the demo. It pages its items, checks the
bearer token, and can be told to misbehave (HTTP errors, slow answers, bodies that are not
JSON) to exercise the client's retries and the outage handling.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

PATHS = ("/portals", "/dossiers/overdue")
LOCAL_TOKEN = "local-token"  # noqa: S105 (a test double's token, not a secret)


@dataclass
class Fault:
    """What to do instead of answering: `status` (e.g. 503), `delay` seconds, or `body`."""

    status: int | None = None
    delay: float = 0.0
    body: bytes | None = None


@dataclass
class MetricsData:
    items: dict[str, list[Any]] = field(default_factory=lambda: {p: [] for p in PATHS})
    faults: dict[str, list[Fault]] = field(default_factory=lambda: {p: [] for p in PATHS})
    requests: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class MetricsServer:
    """`with MetricsServer(token) as server:` serves on a free loopback port.

    `page_size` is the server's cap on items per page (the client's `page_size` hint is
    honoured up to it), so tests can make a small data set span several pages."""

    def __init__(self, token: str = LOCAL_TOKEN, page_size: int = 1000) -> None:
        self.token = token
        self.page_size = page_size
        self.data = MetricsData()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def set_items(self, path: str, items: list[Any]) -> None:
        with self.data.lock:
            self.data.items[path] = list(items)

    def add_faults(self, path: str, *faults: Fault) -> None:
        """The next requests to `path` meet these faults, one each, in order."""
        with self.data.lock:
            self.data.faults[path].extend(faults)

    def start(self) -> MetricsServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> MetricsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                with server.data.lock:
                    server.data.requests.append(self.path)
                    faults = server.data.faults.get(parts.path)
                    fault = faults.pop(0) if faults else None
                    items = server.data.items.get(parts.path)
                if fault is not None:
                    time.sleep(fault.delay)
                    if fault.status is not None or fault.body is not None:
                        self._send(fault.status or 200, fault.body or b"")
                        return
                if items is None:
                    self._send(404, b'{"error": "not found"}')
                    return
                if self.headers.get("Authorization") != f"Bearer {server.token}":
                    self._send(401, b'{"error": "unauthorised"}')
                    return
                query = parse_qs(parts.query)
                # The contract lets the IOC cap the client's page_size hint: the client always
                # sends one, so without the cap the server's page_size would never apply.
                size = min(int(query.get("page_size", [server.page_size])[0]), server.page_size)
                start = int(query.get("page", ["0"])[0])
                page = items[start : start + size]
                following = start + size if start + size < len(items) else None
                body = {"items": page, "next_page": str(following) if following else None}
                self._send(200, json.dumps(body, ensure_ascii=False).encode())

            def _send(self, status: int, body: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a read timeout under test)

        return Handler


def main() -> None:
    """`python -m ioc_alerts.local.metrics_server PORTALS.json DOSSIERS.json`: serve two
    pages files on a free port until killed; prints the base URL on the first line."""
    import sys

    with MetricsServer(page_size=int(sys.argv[3]) if len(sys.argv) > 3 else 1000) as server:
        for path, name in zip(PATHS, sys.argv[1:3], strict=False):
            with open(name, encoding="utf-8") as handle:
                server.set_items(path, json.load(handle)["items"])
        print(server.url, flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
