"""Benchmark of the check and send functions against a local moto server and a local
metrics API, each in its own process, as the Lambda function would meet them.

    .venv/bin/python benchmarks/bench.py [--units 10000 100000]

For each size: a synthetic province (districts with one leader contact each, communes
routed to them), one component portal and one dossier count per unit, a tenth of them
breaching. It prints, per check run, the AWS requests made against the floor (one
conditional write per breach, one SQS batch call per ten notifications, one API call per
page), the wall time and the peak memory of the process; then, for send_alert, the wall
time of a 10-record batch against a 1-record one and the AWS requests per notification.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DAY = date(2023, 11, 6)  # a Monday: both rules run
TOKEN_PARAMETER = "/ioc-alerts/bench/metrics-api-token"


def synthetic(units: int) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """Directory, portals and dossier counts for `units` units, a tenth breaching."""
    districts = max(units // 20, 1)
    directory: list[dict[str, Any]] = [
        {"code": "P", "name": "Tỉnh Mẫu", "level": "province", "parent": None, "contacts": []}
    ]
    for i in range(units - 1):
        district = i < districts
        code = f"D{i}" if district else f"C{i}"
        directory.append(
            {
                "code": code,
                "name": f"{'Huyện' if district else 'Xã'} Mẫu {i}",
                "level": "district" if district else "commune",
                "parent": "P" if district else f"D{i % districts}",
                "contacts": [
                    {
                        "name": f"Lãnh đạo {i}",
                        "phone": f"+849{i:08d}"[:12],
                        "email": f"lanhdao.{code.lower()}@example.gov.vn",
                    }
                ]
                if district
                else [],
            }
        )
    portals, dossiers = [], []
    for i, unit in enumerate(directory):
        stale = i % 10 == 0
        posted = DAY - timedelta(days=9 if stale else 1)
        portals.append(
            {
                "portal_id": f"cong-{unit['code']}",
                "name": f"Cổng {unit['name']}",
                "url": f"https://{unit['code'].lower()}.example.gov.vn",
                "kind": "component",
                "unit_code": unit["code"],
                "last_published_at": f"{posted.isoformat()}T09:00:00+07:00",
            }
        )
        dossiers.append({"unit_code": unit["code"], "overdue_count": 3 if stale else 0})
    return {"units": directory}, portals, dossiers


def setup(endpoint: str, api_url: str, directory_file: Path) -> dict[str, str]:
    """Provision the stack from template.yaml and load the directory; returns the env."""
    import boto3

    from ioc_alerts.directory_files import load_directory
    from ioc_alerts.directory_sync import sync_directory
    from ioc_alerts.local.provision import environment, provision

    session = boto3.Session()
    stack = provision(
        session,
        {
            "Stage": "bench",
            "MetricsApiUrl": api_url,
            "MetricsApiTokenParameter": TOKEN_PARAMETER,
            "SmsRatePerSecond": "0",
            "EmailRatePerSecond": "0",
        },
    )
    session.client("ssm").put_parameter(
        Name=TOKEN_PARAMETER, Value="local-token", Type="SecureString"
    )
    directory, problems = load_directory(directory_file)
    assert not problems, problems[:3]
    sync_directory(directory, stack.tables["DirectoryTable"])
    env = environment(stack, "CheckPortalsFunction") | environment(stack, "SendAlertFunction")
    return env | {
        "PYNAMODB_CONFIG": str(Path(__file__).with_name("pynamodb_settings.py")),
        "AWS_ENDPOINT_URL": endpoint,
        "POWERTOOLS_LOG_LEVEL": "ERROR",
        "POWERTOOLS_TRACE_DISABLED": "1",
        "POWERTOOLS_METRICS_DISABLED": "1",
    }


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM). Not ru_maxrss: on Linux that survives
    exec, so a child would report the parent's peak when the parent was bigger."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_check(rule: str) -> dict[str, Any]:
    """Runs in a fresh process: one check run through the real handler, measured."""
    from ioc_alerts.local.emulator import counting_aws_requests
    from ioc_alerts.local.invoke import invoke

    function = "check_portals" if rule == "portal_stale" else "check_dossiers"
    from ioc_alerts import check_entry  # noqa: F401 (what a cold start imports, measured apart)

    baseline = peak_rss_mb()
    with counting_aws_requests() as counter:
        started, cpu = time.perf_counter(), time.process_time()
        report = invoke(function, {"date": DAY.isoformat()}, timeout_seconds=900)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = peak_rss_mb()
    return {
        "report": report,
        "wall": wall,
        "cpu": cpu,
        "requests": dict(counter.counts),
        "peak_mb": peak,
        "baseline_mb": baseline,
    }


def child_send(endpoint: str, queue_url: str, rounds: int = 5) -> dict[str, Any]:
    """Runs in a fresh process: send_alert on 1-record and 10-record batches, measured on the
    bare emulator and with a 20 ms round trip added to every AWS request (as in AWS)."""
    import boto3

    from ioc_alerts.local.emulator import counting_aws_requests
    from ioc_alerts.local.invoke import invoke
    from ioc_alerts.local.sqs_event import receive_batch

    sqs = boto3.client("sqs")

    def batch(size: int, latency: float) -> tuple[float, float, int]:
        event, handles = receive_batch(sqs, queue_url, size)
        assert len(event["Records"]) == size
        with counting_aws_requests(latency) as counter:
            started, cpu = time.perf_counter(), time.process_time()
            response = invoke("send_alert", event, timeout_seconds=30)
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert not response["batchItemFailures"], response
        for handle in handles:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=handle)
        return wall, cpu, counter.total

    batch(1, 0.0)  # warm: imports, clients, connections, as a warm Lambda container has them
    results: dict[str, Any] = {}
    for label, latency in (("bare", 0.0), ("rtt20ms", 0.020)):
        singles = [batch(1, latency) for _ in range(rounds)]
        tens = [batch(10, latency) for _ in range(rounds)]
        results[label] = {
            "single_s": statistics.median(w for w, _, _ in singles),
            "batch10_s": statistics.median(w for w, _, _ in tens),
            "batch10_cpu_s": statistics.median(c for _, c, _ in tens),
            "requests_per_notification": statistics.mean(n for _, _, n in tens) / 10,
        }
    return results


def run_child(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, __file__, *args],
        env=os.environ | env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"benchmark step {args} failed:\n{result.stderr[-4000:]}")
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def bench(units: int) -> None:
    from ioc_alerts.local.emulator import FAKE_CREDENTIALS, moto_server

    os.environ.update(FAKE_CREDENTIALS)
    with tempfile.TemporaryDirectory() as tmp, moto_server() as endpoint:
        os.environ["AWS_ENDPOINT_URL"] = endpoint
        directory, portals, dossiers = synthetic(units)
        files = {}
        for name, data in (
            ("directory", directory),
            ("portals", {"items": portals}),
            ("dossiers", {"items": dossiers}),
        ):
            files[name] = Path(tmp) / f"{name}.json"
            files[name].write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        api = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ioc_alerts.local.metrics_server",
                str(files["portals"]),
                str(files["dossiers"]),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert api.stdout is not None
            api_url = api.stdout.readline().strip()
            started = time.perf_counter()
            env = setup(endpoint, api_url, files["directory"])
            print(
                f"\n== {units:,} units (setup: directory table loaded in "
                f"{time.perf_counter() - started:.1f} s)"
            )
            for rule in ("portal_stale", "dossiers_overdue"):
                result = run_child(["--child-check", rule], env)
                print_check(rule, result)
            send = run_child(["--child-send", endpoint, env["NOTIFICATION_QUEUE_URL"]], env)
            for label, figures in send.items():
                print(
                    f"  send_alert ({label}): 1 record {figures['single_s'] * 1000:.0f} ms, "
                    f"10 records {figures['batch10_s'] * 1000:.0f} ms (ratio "
                    f"{figures['batch10_s'] / figures['single_s']:.2f}, target <= 1.5; CPU of "
                    f"the 10-record batch {figures['batch10_cpu_s'] * 1000:.0f} ms); AWS "
                    f"requests per notification {figures['requests_per_notification']:.1f}"
                )
        finally:
            api.terminate()
            api.wait()


def print_check(rule: str, result: dict[str, Any]) -> None:
    report, requests = result["report"], result["requests"]
    pages = report["api_requests"]
    floor = (
        report["breaches"]
        + math.ceil(report["notifications"] / 10)
        + math.ceil((report["records"] + report["invalid_records"]) / 1000)
    )
    total = sum(requests.values()) + pages
    print(
        f"  {rule}: {report['records']:,} records, {report['breaches']:,} breaches, "
        f"{report['notifications']:,} notifications, status {report['status']}"
    )
    print(
        f"    requests {total:,} (AWS {total - pages:,}, metrics API {pages}) vs floor "
        f"{floor:,}: {(total / floor - 1) * 100:+.2f}% (target <= +1%)"
    )
    print(f"    AWS by operation: {json.dumps(requests, sort_keys=True)}")
    print(
        f"    wall {result['wall']:.1f} s (CPU of the function's process {result['cpu']:.1f} s; "
        "the rest is waiting on the emulator and the API)\n"
        f"    peak memory {result['peak_mb']:.0f} MB "
        f"(of which interpreter and libraries before the run: {result['baseline_mb']:.0f} MB;"
        " target < 256 MB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--child-check")
    parser.add_argument("--child-send", nargs=2)
    args = parser.parse_args()
    if args.child_check:
        print(json.dumps(child_check(args.child_check)))
    elif args.child_send:
        print(json.dumps(child_send(*args.child_send)))
    else:
        for units in args.units:
            bench(units)


if __name__ == "__main__":
    main()
