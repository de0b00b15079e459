"""`python -m ioc_alerts.local.moto_server -H 127.0.0.1 -p PORT`: moto's server, with one
hot spot of the emulator removed so that long local runs stay linear.

moto's SendMessage reads `Queue.attributes`, which counts the delayed and in-flight
messages by walking the whole queue, for every message sent: queueing n notifications
costs O(n^2) in the emulator (20,000 notifications take minutes). During SendMessage we
answer that one look-up with the only attribute it reads. Everything else, and every
other call (GetQueueAttributes included), is moto's own behaviour.
"""

from __future__ import annotations

import threading
from typing import Any

from moto.server import main
from moto.sqs import models

_sending = threading.local()
_attributes = models.Queue.attributes


def _queue_attributes(self: models.Queue) -> dict[str, Any]:
    if getattr(_sending, "active", False):
        if not self.fifo_queue:
            return {}
        dedup = bool(getattr(self, "content_based_deduplication", False))
        return {"ContentBasedDeduplication": str(dedup).lower()}
    return dict(_attributes.fget(self))  # type: ignore[attr-defined]


_send_message = models.SQSBackend.send_message


def _send(self: models.SQSBackend, *args: Any, **kwargs: Any) -> Any:
    _sending.active = True
    try:
        return _send_message(self, *args, **kwargs)
    finally:
        _sending.active = False


models.Queue.attributes = property(_queue_attributes)  # type: ignore[assignment,method-assign]
models.SQSBackend.send_message = _send  # type: ignore[method-assign]

if __name__ == "__main__":
    main()
