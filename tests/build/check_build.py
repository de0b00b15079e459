"""The build check (`make build-check`, part of `make test`): after `sam build`, run the built
functions in a virtualenv that has only what the Lambda runtime provides (boto3), against a
moto server and the local metrics API, and fail if they cannot import or do not send."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3

from ioc_alerts.adapters.metrics_api import DOSSIERS as DOSSIERS_PATH
from ioc_alerts.adapters.metrics_api import PORTALS as PORTALS_PATH
from ioc_alerts.directory_files import load_directory
from ioc_alerts.directory_sync import sync_directory
from ioc_alerts.local.emulator import FAKE_CREDENTIALS, moto_server
from ioc_alerts.local.metrics_server import LOCAL_TOKEN, MetricsServer
from ioc_alerts.local.provision import environment, provision

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "layers/common/ioc_alerts/samples/soctrang-2023"
TOKEN = "/ioc-alerts/build/metrics-api-token"


def main(build: Path, python: Path) -> int:
    os.environ.update(FAKE_CREDENTIALS)
    with moto_server() as endpoint, MetricsServer() as api:
        os.environ["AWS_ENDPOINT_URL"] = endpoint
        for path, name in ((PORTALS_PATH, "portals.json"), (DOSSIERS_PATH, "dossiers.json")):
            api.set_items(path, json.loads((SAMPLES / name).read_text(encoding="utf-8"))["items"])
        session = boto3.Session()
        stack = provision(
            session,
            {
                "Stage": "build",
                "MetricsApiUrl": api.url,
                "MetricsApiTokenParameter": TOKEN,
                "SmsRatePerSecond": "0",
                "EmailRatePerSecond": "0",
            },
        )
        session.client("ssm").put_parameter(Name=TOKEN, Value=LOCAL_TOKEN, Type="SecureString")
        directory, _ = load_directory(SAMPLES / "directory.json")
        sync_directory(directory, stack.tables["DirectoryTable"])
        env = {
            "PATH": os.environ["PATH"],
            "AWS_ENDPOINT_URL": endpoint,
            "POWERTOOLS_TRACE_DISABLED": "1",
            "POWERTOOLS_LOG_LEVEL": "ERROR",
            "POWERTOOLS_METRICS_DISABLED": "1",
            "LAMBDA_TASK_ROOT": str(build),
            **FAKE_CREDENTIALS,
            **environment(stack, "CheckPortalsFunction"),
            **environment(stack, "SendAlertFunction"),
        }
        result = subprocess.run(
            [str(python), "-I", str(Path(__file__).with_name("lambda_smoke.py")), str(build)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode != 0:
        print(result.stdout[-3000:], result.stderr[-6000:], sep="\n", file=sys.stderr)
        print(
            "build check FAILED: the built functions do not run with only the layer and "
            "the runtime's boto3 (see the error above)",
            file=sys.stderr,
        )
        return 1
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    ok = summary["check"] == "completed" and summary["delivered"] == summary["queued"] > 0
    print(f"build check {'passed' if ok else 'FAILED'}: {json.dumps(summary)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
