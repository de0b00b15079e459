"""Injected throttling: a share of the sender's SNS Publish and SES SendEmail calls answered
with the providers' throttling errors before they leave the process, exactly as AWS
answers them, so botocore's retries and then SQS redelivery have to absorb them."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from typing import Any

from botocore.awsrequest import AWSResponse, HTTPHeaders

SNS_THROTTLED = (
    b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
    b"<Message>Rate exceeded</Message></Error><RequestId>injected</RequestId></ErrorResponse>"
)
SES_THROTTLED = b'{"message": "Maximum sending rate exceeded."}'


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.data


class Throttler:
    """Answers `rate` of the calls (0..1) with a throttling error; counts what it did."""

    def __init__(self, rate: float, seed: int = 7) -> None:
        self.rate = rate
        self._random = random.Random(seed)  # noqa: S311 (fault injection, not security)
        self._lock = threading.Lock()
        self.throttled = 0

    def attach(self, sns: Any, ses: Any) -> None:
        sns.meta.events.register("before-send.sns.Publish", self._sns)
        ses.meta.events.register("before-send.sesv2.SendEmail", self._ses)

    def _hit(self) -> bool:
        with self._lock:
            hit = self._random.random() < self.rate
            self.throttled += hit
            return hit

    def _sns(self, request: Any, **_: Any) -> AWSResponse | None:
        if not self._hit():
            return None
        headers = HTTPHeaders()
        headers["Content-Type"] = "text/xml"
        return AWSResponse(request.url, 400, headers, _Body(SNS_THROTTLED))

    def _ses(self, request: Any, **_: Any) -> AWSResponse | None:
        if not self._hit():
            return None
        headers = HTTPHeaders()
        headers["Content-Type"] = "application/json"
        headers["x-amzn-ErrorType"] = "TooManyRequestsException"
        return AWSResponse(request.url, 429, headers, _Body(SES_THROTTLED))
