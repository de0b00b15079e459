"""Runs inside .venv-lambda (the runtime's boto3 and nothing else) with the `sam build`
output as Lambda lays it out: the layer's python/ folder and one function folder on the
path. It invokes the built check_portals handler for a Monday, then drains the queue through
the built send_alert handler, and prints a JSON summary. Any missing dependency of the layer
fails the import here.

    python lambda_smoke.py BUILD_DIR   (environment: the stack's, from check_build)
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any

BUILD = Path(sys.argv[1])
sys.path[:0] = [str(BUILD / "CommonLayer" / "python")]


def handler(function: str) -> Any:
    folder = BUILD / function
    spec = importlib.util.spec_from_file_location(f"{function}_app", folder / "app.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.lambda_handler


def main() -> None:
    import boto3

    import ioc_alerts
    from ioc_alerts.local.invoke import LambdaContext
    from ioc_alerts.local.sqs_event import receive_batch

    layer = Path(ioc_alerts.__file__).resolve()
    assert str(layer).startswith(str(BUILD.resolve())), f"ioc_alerts came from {layer}"
    check = handler("CheckPortalsFunction")
    send = handler("SendAlertFunction")
    report = check({"date": "2023-11-06"}, LambdaContext("check_portals"))
    sqs = boto3.client("sqs")
    queue = os.environ["NOTIFICATION_QUEUE_URL"]
    delivered = failed = 0
    while True:
        event, handles = receive_batch(sqs, queue, 10)
        if not event["Records"]:
            break
        response = send(event, LambdaContext("send_alert", 30))
        failed += len(response["batchItemFailures"])
        delivered += len(event["Records"]) - len(response["batchItemFailures"])
        for handle in handles:
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=handle)
    summary = {
        "boto3": boto3.__version__,
        "layer": str(layer.parent),
        "check": report["status"],
        "queued": report["queued"],
        "delivered": delivered,
        "failed": failed,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
