"""Invoke the functions' real handlers in-process, as Lambda would (for tests, bench, demo)."""

from __future__ import annotations

import importlib.util
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FUNCTIONS = Path(__file__).resolve().parents[4] / "functions"
Handler = Callable[[dict[str, Any], Any], Any]


@dataclass
class LambdaContext:
    """The parts of the Lambda context object the handlers and Powertools read."""

    function_name: str
    timeout_seconds: float = 300.0
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    _started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:ap-southeast-1:123456789012:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        left = self.timeout_seconds - (time.monotonic() - self._started)
        return max(int(left * 1000), 0)


_handlers: dict[str, Handler] = {}


def handler(function: str) -> Handler:
    """`lambda_handler` of functions/<function>/app.py, loaded once under its own module name
    (the three functions all call their module app.py, as SAM expects)."""
    if function not in _handlers:
        path = FUNCTIONS / function / "app.py"
        spec = importlib.util.spec_from_file_location(f"{function}_app", path)
        assert spec is not None, path
        assert spec.loader is not None, path
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _handlers[function] = module.lambda_handler
    return _handlers[function]


def invoke(function: str, event: dict[str, Any], timeout_seconds: float = 300.0) -> Any:
    return handler(function)(event, LambdaContext(function, timeout_seconds))
