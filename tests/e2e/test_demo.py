"""End to end through the demo path (`ioc-alerts demo`): a moto server and the local metrics
API in their own processes, the real handlers, the outbox read back from SNS and SES."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def demo(*args: str, out: Path) -> tuple[list[dict[str, Any]], str]:
    result = subprocess.run(
        [sys.executable, "-m", "ioc_alerts.cli", "demo", "--json", "--out", str(out), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return lines, result.stderr


@pytest.fixture(scope="module")
def three_days(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict[str, Any]], str]:
    # Sunday 05/11 to Tuesday 07/11/2023: the provincial portal's 3rd and 4th quiet days,
    # a component portal's 5th and 6th, and the Monday dossier check in between
    return demo("--from", "2023-11-05", "--to", "2023-11-07", out=tmp_path_factory.mktemp("d"))


def test_the_day_count_grows_and_the_monday_alerts_go_out(
    three_days: tuple[list[dict[str, Any]], str],
) -> None:
    lines, log = three_days
    sms = {(x["date"], x["to"], x["text"]) for x in lines if x["channel"] == "sms"}
    sttt = "+84900010043"
    province = "Sở TTTT chưa đăng tin bài trên Cổng thông tin điện tử của Tỉnh"
    assert ("2023-11-05", sttt, f"Đã quá 3 ngày {province}") in sms
    assert ("2023-11-06", sttt, f"Đã quá 4 ngày {province}") in sms
    assert not any(d == "2023-11-07" and t.endswith("của Tỉnh") for d, _, t in sms)
    gtvt = "Sở GTVT chưa đăng tin bài trên Cổng thông tin điện tử"
    assert ("2023-11-06", "+84900010037", f"Đã quá 5 ngày {gtvt}") in sms
    assert ("2023-11-07", "+84900010037", f"Đã quá 6 ngày {gtvt}") in sms
    # Mondays only: the dossier alerts, a commune's to its district's leaders
    dossiers = [x for x in lines if x["rule"] == "dossiers_overdue"]
    assert {x["date"] for x in dossiers} == {"2023-11-06"}
    commune = [x for x in dossiers if x["unit"] == "31570" and x["channel"] == "sms"]
    assert {x["recipient_unit"] for x in commune} == {"942"}
    assert {x["text"] for x in commune} == {"Xã Hồ Đắc Kiện đã trễ hạn 3 hồ sơ dịch vụ công"}
    # Every notification reached SNS or SES once; the unroutable breach is reported
    assert Counter(x["channel"] for x in lines) == {"sms": 16, "email": 16}
    assert len({(x["date"], x["rule"], x["unit"], x["channel"], x["to"]) for x in lines}) == 32
    assert "unroutable: BQLKCN" in log
    assert "16 SMS (20 parts) and 16 e-mails; 0 retried, 0 failed, 0 in the dead-letter" in log


def test_a_day_given_twice_sends_nothing_new_the_second_time(tmp_path: Path) -> None:
    lines, log = demo("--date", "2023-11-06", "--date", "2023-11-06", out=tmp_path)
    assert len(lines) == 24
    assert log.count("already_completed") == 2


def test_under_injected_throttling_the_outbox_is_the_same(
    three_days: tuple[list[dict[str, Any]], str], tmp_path: Path
) -> None:
    throttled, log = demo(
        "--from",
        "2023-11-05",
        "--to",
        "2023-11-07",
        "--inject-throttling",
        "0.25",
        out=tmp_path,
    )
    key = lambda x: json.dumps(x, sort_keys=True, ensure_ascii=False)  # noqa: E731
    assert sorted(map(key, throttled)) == sorted(map(key, three_days[0]))
    assert "calls throttled on purpose" in log
    assert "0 failed, 0 in the dead-letter queue" in log
