"""Client of the IOC's metrics API (docs/metrics-api.md): HTTPS, timeouts, retries, pages.

Any failure to get a complete, well-formed answer is a MetricsApiError: the check treats it
as an outage (fail loudly, send nothing), never as an empty page meaning "all clear".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Self
from urllib.parse import urlencode, urlsplit

import urllib3
from urllib3.exceptions import HTTPError, MaxRetryError

from ioc_alerts.problems import InputError
from ioc_alerts.records import parse_page

PORTALS = "/portals"
DOSSIERS = "/dossiers/overdue"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class MetricsApiError(Exception):
    """The API did not give a complete, valid answer."""


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Any]
    where: str  # "GET /portals page 2", for problems and logs
    first_index: int  # index of items[0] across all pages


@dataclass
class CallStats:
    requests: int = 0
    retries: int = 0


class AttemptsSpent(MaxRetryError):
    """urllib3's MaxRetryError, saying how many requests were made before giving up."""

    def __init__(self, error: MaxRetryError, attempts: int) -> None:
        super().__init__(error.pool, error.url, error.reason)
        self.attempts = attempts


class _Retry(urllib3.Retry):
    # urllib3 gives the retry history on a response but not on the error raised once the
    # attempts run out, so an outage would be counted as one request.
    def increment(self, *args: Any, **kwargs: Any) -> Self:
        try:
            return super().increment(*args, **kwargs)
        except MaxRetryError as exc:
            raise AttemptsSpent(exc, attempts=len(self.history) + 1) from exc.reason


class MetricsApi:
    def __init__(
        self,
        base_url: str,
        token: Callable[[], str],
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        attempts: int = 3,
        backoff: float = 0.5,
        page_size: int = 1000,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in _LOOPBACK):
            raise InputError(
                f"metrics API URL {base_url!r} must use https (http only on loopback, for tests)"
            )
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.page_size = page_size
        self.stats = CallStats()
        retry = _Retry(
            total=attempts - 1,
            connect=attempts - 1,
            read=attempts - 1,
            status=attempts - 1,
            other=0,
            allowed_methods=frozenset({"GET"}),
            status_forcelist=RETRY_STATUSES,
            backoff_factor=backoff,
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        self._http = urllib3.PoolManager(
            retries=retry,
            timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
            headers={"Accept": "application/json", "User-Agent": "ioc-alerts"},
        )

    def pages(self, path: str) -> Iterator[Page]:
        """Every page of an endpoint, in order, following `next_page` until null."""
        cursor: str | None = None
        seen: set[str] = set()
        number, index = 1, 0
        while True:
            where = f"GET {path} page {number}"
            items, cursor = parse_or_raise(self._get(path, cursor, where), where)
            yield Page(list(items), where, index)
            index += len(items)
            if not cursor:
                return
            if cursor in seen:
                raise MetricsApiError(f"{where}: next_page {cursor!r} repeats an earlier page")
            seen.add(cursor)
            number += 1

    def _get(self, path: str, cursor: str | None, where: str) -> Any:
        query = {"page_size": str(self.page_size)} | ({"page": cursor} if cursor else {})
        url = f"{self.base_url}{path}?{urlencode(query)}"
        headers = {"Authorization": f"Bearer {self._token()}"}
        try:
            response = self._http.request("GET", url, headers=headers)
        except HTTPError as exc:  # connection refused, timeouts past the retries
            attempts = exc.attempts if isinstance(exc, AttemptsSpent) else 1
            self.stats.requests += attempts
            self.stats.retries += attempts - 1
            raise MetricsApiError(f"{where}: no answer from the metrics API: {exc}") from exc
        self.stats.requests += 1 + _retries(response.retries)
        self.stats.retries += _retries(response.retries)
        if response.status != 200:
            raise MetricsApiError(
                f"{where}: the metrics API answered HTTP {response.status}"
                + (" (check the token parameter)" if response.status in (401, 403) else "")
            )
        try:
            return json.loads(response.data)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise MetricsApiError(f"{where}: the answer is not JSON: {exc}") from exc


def parse_or_raise(payload: Any, where: str) -> tuple[list[Any], str | None]:
    try:
        items, cursor = parse_page(payload, where)
    except InputError as exc:
        raise MetricsApiError(str(exc)) from exc
    return list(items), cursor


def _retries(retry: urllib3.Retry | None) -> int:
    return len(retry.history) if retry is not None else 0
