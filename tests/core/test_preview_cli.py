"""The dry run, `ioc-alerts preview`: on the bundled Sóc Trăng 2023 sample, every notification
that would go out on a day, and a clear exit status 2 when an input file is unusable."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from ioc_alerts.cli import main
from ioc_alerts.config import DEFAULT_RULES_FILE

SAMPLE = Path(__file__).resolve().parents[2] / "layers/common/ioc_alerts/samples/soctrang-2023"
MONDAY = "2023-11-06"


def preview(*extra: str, date: str = MONDAY, **files: Path) -> list[str]:
    paths = {"portals": SAMPLE / "portals.json", "dossiers": SAMPLE / "dossiers.json",
             "directory": SAMPLE / "directory.json"} | files  # fmt: skip
    args = ["preview", "--date", date]
    for name, path in paths.items():
        args += [f"--{name}", str(path)]
    return args + list(extra)


def json_lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


@pytest.fixture
def monday_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """`preview --json` on the sample for Monday 6 Nov 2023."""
    assert main(preview("--json")) == 0
    return json_lines(capsys.readouterr().out)


# --- the sample, Monday 6 Nov 2023 -----------------------------------------------------


def test_every_line_says_rule_unit_recipient_channel_address_and_text(
    monday_lines: list[dict[str, Any]],
) -> None:
    for line in monday_lines:
        assert {"date", "rule", "breach_id", "unit", "recipient_unit", "channel", "to", "text"} <= (
            line.keys()
        )
        assert line["date"] == MONDAY
        if line["channel"] == "sms":
            assert re.fullmatch(r"\+84\d{9}", line["to"])
            assert line["encoding"] == "UCS-2"
            assert line["segments"] in (1, 2)
        elif line["channel"] == "email":
            assert line["to"].endswith("@example.gov.vn")
            assert line["text"].startswith("[Cảnh báo IOC] ")
            assert "segments" not in line


def test_the_breaches_are_the_notice_s_on_that_day(monday_lines: list[dict[str, Any]]) -> None:
    breaches = {(line["rule"], line["unit"], line["value"]) for line in monday_lines}
    assert breaches == {
        # provincial portal, last post 2 Nov: 3 days
        ("portal_stale", "STTTT", 3),
        # component portals from 5 days: Long Phú (25 Oct), GTVT (31 Oct), Xây dựng (28 Oct),
        # KH&CN (31 Oct 23:30 Vietnam time), BQL các KCN (20 Oct)
        ("portal_stale", "946", 11),
        ("portal_stale", "SGTVT", 5),
        ("portal_stale", "SXD", 8),
        ("portal_stale", "SKHCN", 5),
        ("portal_stale", "BQLKCN", 16),
        # Monday: units with 2 or more overdue dossiers, communes included
        ("dossiers_overdue", "942", 4),
        ("dossiers_overdue", "31570", 3),
        ("dossiers_overdue", "947", 2),
        ("dossiers_overdue", "31690", 5),
        ("dossiers_overdue", "SNV", 2),
        ("dossiers_overdue", "SCT", 7),
    }


def test_a_post_at_00_30_vietnam_time_written_in_utc_is_not_a_day_older(
    monday_lines: list[dict[str, Any]],
) -> None:
    # Sở TN&MT last posted at 2023-10-31T17:30:00Z, which is 1 Nov 00:30 in Vietnam: 4 days on
    # 6 Nov, under the threshold 5 (a UTC reading would have said 5 and alerted)
    assert all(line["unit"] != "STNMT" for line in monday_lines)


def test_the_provincial_text_is_the_notice_s(monday_lines: list[dict[str, Any]]) -> None:
    texts = {line["text"] for line in monday_lines if line["unit"] == "STTTT"}
    assert texts == {
        "Đã quá 3 ngày Sở TTTT chưa đăng tin bài trên Cổng thông tin điện tử của Tỉnh",
        "[Cảnh báo IOC] Đã quá 3 ngày Sở TTTT chưa đăng tin bài trên Cổng thông tin điện tử "
        "của Tỉnh",
    }


def test_a_commune_s_alert_goes_to_its_district(monday_lines: list[dict[str, Any]]) -> None:
    commune = [line for line in monday_lines if line["unit"] == "31570"]
    assert {line["recipient_unit"] for line in commune} == {"942"}
    assert {line["channel"] for line in commune} == {"sms", "email"}
    assert "Xã Hồ Đắc Kiện đã trễ hạn 3 hồ sơ dịch vụ công" in {line["text"] for line in commune}


def test_the_unroutable_breach_is_one_line_with_channel_null(
    monday_lines: list[dict[str, Any]],
) -> None:
    # Given BQL các KCN, which has sent no leader contact yet
    unroutable = [line for line in monday_lines if line["channel"] is None]
    # Then its breach is one line, with no address and the reason, never dropped
    assert len(unroutable) == 1
    (line,) = unroutable
    assert line["unit"] == "BQLKCN"
    assert line["to"] is None
    assert line["unroutable"] == "unit BQLKCN has no leader contact in the directory"
    assert line["text"] == (
        "Đã quá 16 ngày BQL các KCN chưa đăng tin bài trên Cổng thông tin điện tử"
    )


def test_each_routable_breach_fans_out_to_two_leaders_on_two_channels(
    monday_lines: list[dict[str, Any]],
) -> None:
    per_breach: dict[str, int] = {}
    for line in monday_lines:
        if line["channel"] is not None:
            per_breach[line["breach_id"]] = per_breach.get(line["breach_id"], 0) + 1
    assert len(per_breach) == 11
    assert set(per_breach.values()) == {4}


def test_data_problems_go_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(preview("--json")) == 0
    err = capsys.readouterr().err
    # the null post date, the post dated after the day, the unknown unit, the bad count
    assert "portal 'cong-syt' [last_published_at]" in err
    assert "portal 'cong-sgddt' [last_published_at]" in err
    assert "unknown unit '99999'" in err
    assert "item 139 (unit_code='STC') [overdue_count]" in err


def test_on_a_tuesday_only_portals_are_checked(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(preview("--json", date="2023-11-07")) == 0
    lines = json_lines(capsys.readouterr().out)
    assert lines
    assert {line["rule"] for line in lines} == {"portal_stale"}


def test_the_text_report_groups_by_rule_and_shows_the_unroutable(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(preview(date="2023-11-07")) == 0
    out = capsys.readouterr().out
    assert "IOC Alerts dry run: Thứ Ba 07/11/2023 (2023-11-07)" in out
    assert "== portal_stale: " in out
    assert "== dossiers_overdue: not scheduled on Thứ Ba (runs on mon)" in out
    assert "UNROUTABLE: unit BQLKCN has no leader contact in the directory" in out
    assert "Summary: " in out


# --- unusable input: exit status 2, and a message naming the file -------------------------


def test_a_missing_file_exits_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "portals.json"
    assert main(preview("--json", portals=missing)) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("ioc-alerts: ")
    assert str(missing) in captured.err
    assert "not found" in captured.err


def test_a_missing_directory_exits_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "directory.json"
    assert main(preview("--json", directory=missing)) == 2
    assert str(missing) in capsys.readouterr().err


def test_malformed_json_exits_2_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "dossiers.json"
    broken.write_text('{"items": [{"unit_code": "942", "overdue_count": 3}', encoding="utf-8")
    assert main(preview("--json", dossiers=broken)) == 2
    err = capsys.readouterr().err
    assert f"{broken}: not valid JSON" in err


def test_json_that_is_not_a_page_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A bare list must not be read as "no portals, all clear"
    bare = tmp_path / "portals.json"
    bare.write_text("[]", encoding="utf-8")
    assert main(preview("--json", portals=bare)) == 2
    assert f"{bare}: not a metrics page" in capsys.readouterr().err


def test_bad_rules_exit_2_naming_the_rules_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = tmp_path / "rules.yaml"
    shutil.copy(DEFAULT_RULES_FILE, rules)
    rules.write_text(
        rules.read_text(encoding="utf-8").replace("threshold: 3", "threshhold: 3"),
        encoding="utf-8",
    )
    assert main(preview("--json", "--rules", str(rules))) == 2
    err = capsys.readouterr().err
    assert f"{rules}: rules.portal_stale.provincial.threshhold: unknown key" in err


def test_a_rules_copy_with_gsm7_folds_the_sms(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        DEFAULT_RULES_FILE.read_text(encoding="utf-8").replace(
            "encoding: unicode", "encoding: gsm7"
        ),
        encoding="utf-8",
    )
    assert main(preview("--json", "--rules", str(rules))) == 0
    sms = [
        line
        for line in json_lines(capsys.readouterr().out)
        if line["channel"] == "sms" and line["unit"] == "STTTT"
    ]
    assert {(line["text"], line["encoding"], line["segments"]) for line in sms} == {
        (
            "Da qua 3 ngay So TTTT chua dang tin bai tren Cong thong tin dien tu cua Tinh",
            "GSM-7",
            1,
        )
    }


def test_a_date_that_is_not_a_date_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(preview("--json", date="06/11/2023"))
    assert raised.value.code == 2
    assert "not a date YYYY-MM-DD: '06/11/2023'" in capsys.readouterr().err
