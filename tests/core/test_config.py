"""The rules file: thresholds, schedules, channels and templates, checked when loaded.

Every mistake an operator can make is an InputError naming the file, the key and the problem,
found at load time rather than when the 08:00 run sends its first alert.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from ioc_alerts.config import DEFAULT_CONFIG_DIR, DEFAULT_RULES_FILE, RulesConfig, load_rules
from ioc_alerts.directory import Directory
from ioc_alerts.problems import InputError
from ioc_alerts.render import Renderer
from ioc_alerts.routing import route
from ioc_alerts.rules import Breach

DEFAULT_TEXT = DEFAULT_RULES_FILE.read_text(encoding="utf-8")


def rules_file(
    folder: Path, old: str = "", new: str = "", templates: dict[str, str] | None = None
) -> Path:
    """A copy of the bundled rules file in `folder`, with `old` replaced by `new` once, and
    optionally a templates/ folder beside it."""
    assert old == "" or old in DEFAULT_TEXT, old
    path = folder / "rules.yaml"
    path.write_text(DEFAULT_TEXT.replace(old, new, 1) if old else DEFAULT_TEXT, encoding="utf-8")
    if templates is not None:
        (folder / "templates").mkdir()
        for name, text in templates.items():
            (folder / "templates" / name).write_text(text, encoding="utf-8")
    return path


def load_error(path: Path) -> str:
    with pytest.raises(InputError) as raised:
        load_rules(path)
    return str(raised.value)


# --- the default ---------------------------------------------------------------------------


def test_the_bundled_rules_are_the_notice_s() -> None:
    # Given no rules file named
    # When the rules are loaded
    config = load_rules()
    # Then they are the notice's thresholds, schedules and channels
    portal, dossiers = config.rules.portal_stale, config.rules.dossiers_overdue
    assert config.source == DEFAULT_RULES_FILE
    assert config.organisation == "Hệ thống giám sát điều hành tỉnh Sóc Trăng"
    assert config.sms.encoding == "unicode"
    assert (portal.provincial.threshold, portal.component.threshold) == (3, 5)
    assert portal.schedule.days == ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    assert dossiers.threshold == 2
    assert dossiers.schedule.days == ["mon"]
    assert portal.schedule.time == dossiers.schedule.time == "08:00"
    assert portal.channels == dossiers.channels == ["sms", "email"]
    assert portal.variant("provincial") is portal.provincial
    assert portal.variant("component") is portal.component
    assert config.template_dirs == (DEFAULT_CONFIG_DIR / "templates",)


def test_a_copy_naming_only_default_templates_works(tmp_path: Path) -> None:
    # Given a copy of the rules file with no templates/ folder beside it
    path = rules_file(tmp_path)
    # When it is loaded
    config = load_rules(path)
    # Then it loads, and templates are looked up beside it first, then among the defaults
    assert config.source == path
    assert config.template_dirs == (tmp_path / "templates", DEFAULT_CONFIG_DIR / "templates")


def test_a_template_beside_the_rules_file_overrides_only_that_default(
    tmp_path: Path, soctrang_2023: Directory
) -> None:
    # Given a rules copy with its own provincial SMS template
    path = rules_file(
        tmp_path,
        templates={
            "portal_stale_provincial.sms.j2": "IOC: {{ unit }} chưa đăng tin bài {{ days }} ngày"
        },
    )
    config = load_rules(path)
    breach = Breach(
        "portal_stale", "provincial", "STTTT", "cong-tinh", date(2023, 11, 5), 3, 3,
        "Cổng thông tin điện tử tỉnh Sóc Trăng", "https://www.soctrang.gov.vn", date(2023, 11, 1),
    )  # fmt: skip
    routing = route(soctrang_2023["STTTT"], soctrang_2023)
    # When the SMS and e-mail are rendered
    renderer = Renderer(config)
    # Then the SMS is the operator's, and the e-mail still uses the default templates
    assert renderer.sms(breach, routing).text == "IOC: Sở TTTT chưa đăng tin bài 3 ngày"
    email = renderer.email(breach, routing, routing.contacts[0])
    assert email.subject == "[Cảnh báo IOC] IOC: Sở TTTT chưa đăng tin bài 3 ngày"
    assert "Vì sao Anh/Chị nhận cảnh báo này" in email.text


def test_a_rules_file_may_change_days_thresholds_channels_and_encoding(tmp_path: Path) -> None:
    text = (
        DEFAULT_TEXT.replace("days: [mon]", "days: [mon, thu]")
        .replace("threshold: 2", "threshold: 3")
        .replace("encoding: unicode", "encoding: gsm7")
        .replace("channels: [sms, email]", "channels: [email]", 1)
    )
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    config = load_rules(path)
    assert config.rules.dossiers_overdue.schedule.days == ["mon", "thu"]
    assert config.rules.dossiers_overdue.threshold == 3
    assert config.rules.portal_stale.channels == ["email"]
    assert config.sms.encoding == "gsm7"


def test_the_config_is_frozen(rules: RulesConfig) -> None:
    with pytest.raises(ValueError, match="frozen"):
        rules.organisation = "x"  # type: ignore[misc]


# --- mistakes in the rules file ----------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "key", "problem"),
    [
        (
            "threshold: 3",
            "threshhold: 3",
            "rules.portal_stale.provincial.threshhold",
            "unknown key (check its spelling and indentation)",
        ),
        (
            "threshold: 3",
            'threshold: "three"',
            "rules.portal_stale.provincial.threshold",
            "valid integer",
        ),
        (
            "threshold: 5",
            "threshold: -1",
            "rules.portal_stale.component.threshold",
            "greater than or equal to 0",
        ),
        (
            "threshold: 2",
            "threshold: 0",
            "rules.dossiers_overdue.threshold",
            "greater than or equal to 1",
        ),
        (
            "days: [mon]",
            "days: [mon, funday]",
            "rules.dossiers_overdue.schedule.days.1",
            "'mon', 'tue', 'wed', 'thu', 'fri', 'sat' or 'sun'",
        ),
        ("days: [mon]", "days: []", "rules.dossiers_overdue.schedule.days", "at least 1"),
        ('time: "08:00"', 'time: "8h"', "rules.portal_stale.schedule.time", "match pattern"),
        ('time: "08:00"', 'time: "24:00"', "rules.portal_stale.schedule.time", "match pattern"),
        (
            "channels: [sms, email]",
            "channels: [sms, fax]",
            "rules.portal_stale.channels.1",
            "'sms' or 'email'",
        ),
        ("encoding: unicode", "encoding: ascii", "sms.encoding", "'unicode' or 'gsm7'"),
        (
            "    threshold: 2\n",
            "",
            "rules.dossiers_overdue.threshold",
            "required key is missing",
        ),
        (
            "sms: dossiers_overdue.sms.j2",
            "sms: ../dossiers_overdue.sms.j2",
            "rules.dossiers_overdue.templates.sms",
            "match pattern",
        ),
        ("enabled: true", "enabled: maybe", "rules.portal_stale.enabled", "valid boolean"),
    ],
)
def test_a_wrong_setting_names_the_file_the_key_and_the_problem(
    tmp_path: Path, old: str, new: str, key: str, problem: str
) -> None:
    # Given a rules file with one mistake
    path = rules_file(tmp_path, old, new)
    # When it is loaded
    message = load_error(path)
    # Then the error names the file, the key path and what is wrong
    assert f"{path}: {key}: " in message
    assert problem in message


def test_an_unquoted_time_is_refused_rather_than_misread(tmp_path: Path) -> None:
    # YAML 1.1 reads an unquoted 18:30 as the number 1110 (base 60)
    path = rules_file(tmp_path, 'time: "08:00"', "time: 18:30")
    message = load_error(path)
    assert f"{path}: rules.portal_stale.schedule.time: " in message


def test_every_mistake_is_listed_at_once(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        DEFAULT_TEXT.replace("threshold: 3", "threshhold: 3").replace(
            'time: "08:00"', 'time: "8h"'
        ),
        encoding="utf-8",
    )
    message = load_error(path)
    assert "rules.portal_stale.provincial.threshhold: unknown key" in message
    assert "rules.portal_stale.schedule.time: " in message


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("organisation: [unclosed\n", "not valid YAML"),
        ("- a\n- b\n", "expected a mapping of settings at the top level"),
        ("", "expected a mapping of settings at the top level"),
    ],
)
def test_a_file_that_is_not_a_settings_mapping_is_an_input_error(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    message = load_error(path)
    assert message.startswith(str(path))
    assert problem in message


def test_a_missing_rules_file_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "nosuch.yaml"
    assert load_error(path) == f"{path}: rules file not found"


# --- mistakes in templates -----------------------------------------------------------------


def test_a_missing_template_file_names_the_key_and_where_it_was_looked_for(
    tmp_path: Path,
) -> None:
    path = rules_file(
        tmp_path, "sms: portal_stale_provincial.sms.j2", "sms: portal_stale_tinh.sms.j2"
    )
    message = load_error(path)
    assert message.startswith(f"{path}: rules.portal_stale.provincial.templates.sms: ")
    assert "'portal_stale_tinh.sms.j2' not found in" in message
    assert str(tmp_path / "templates") in message
    assert str(DEFAULT_CONFIG_DIR / "templates") in message


def test_a_template_with_a_syntax_error_names_the_key_and_line(tmp_path: Path) -> None:
    path = rules_file(
        tmp_path,
        templates={"portal_stale_provincial.sms.j2": "Đã quá {{ days } ngày {{ unit }}"},
    )
    message = load_error(path)
    assert message.startswith(f"{path}: rules.portal_stale.provincial.templates.sms: ")
    assert "'portal_stale_provincial.sms.j2' line 1: unexpected '}'" in message


def test_a_syntax_error_in_a_layout_names_the_layout(tmp_path: Path) -> None:
    # Given an overridden e-mail layout, broken on its line 2
    path = rules_file(tmp_path, templates={"_layout.html.j2": "<p>\n{% if %}\n</p>"})
    message = load_error(path)
    # Then the error says which file holds the broken line, not just the template named
    assert "rules.portal_stale.provincial.templates.email_html" in message
    assert "(in '_layout.html.j2') line 2" in message


def test_a_missing_layout_is_not_reported_as_the_template_itself_missing(tmp_path: Path) -> None:
    path = rules_file(tmp_path, templates={"portal_stale.txt.j2": "{% extends '_khung.txt.j2' %}"})
    message = load_error(path)
    assert "rules.portal_stale.provincial.templates.email_text" in message
    assert "'portal_stale.txt.j2' uses '_khung.txt.j2', which is not found in" in message


@pytest.mark.parametrize(
    ("template", "text", "key", "variable"),
    [
        (
            "portal_stale_provincial.sms.j2",
            "Đã quá {{ dayz }} ngày {{ unit }}",
            "rules.portal_stale.provincial.templates.sms",
            "dayz",
        ),
        # an SMS has no single recipient: sms_text and the like exist only in e-mails
        (
            "dossiers_overdue.sms.j2",
            "{{ sms_text }}",
            "rules.dossiers_overdue.templates.sms",
            "sms_text",
        ),
        # in a branch the trial render does not take (portal alerts go to the own unit)
        (
            "portal_stale_component.sms.j2",
            "{% if own_unit %}{{ unit }}{% else %}{{ unit_nam }}{% endif %} {{ days }}",
            "rules.portal_stale.component.templates.sms",
            "unit_nam",
        ),
        # in a layout the named template extends
        (
            "_layout.txt.j2",
            "{% if own_unit %}{% else %}{{ recipient_unit_nam }}{% endif %}",
            "rules.portal_stale.provincial.templates.email_text",
            "recipient_unit_nam",
        ),
    ],
)
def test_a_template_using_an_undefined_variable_is_refused(
    tmp_path: Path, template: str, text: str, key: str, variable: str
) -> None:
    path = rules_file(tmp_path, templates={template: text})
    message = load_error(path)
    assert message.startswith(f"{path}: {key}: ")
    assert f"'{variable}' is undefined" in message


def test_a_template_cannot_reach_python_internals(tmp_path: Path) -> None:
    # Given a template that tries to climb out of the sandbox
    path = rules_file(
        tmp_path,
        templates={"dossiers_overdue.sms.j2": "{{ unit.__class__.__mro__ }} {{ count }}"},
    )
    # Then it is refused when loaded
    message = load_error(path)
    assert "rules.dossiers_overdue.templates.sms" in message
    assert "unsafe" in message


def test_a_copied_config_folder_looks_in_its_own_templates_first(tmp_path: Path) -> None:
    # Given the whole config folder (rules file and templates) copied elsewhere
    folder = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG_DIR, folder)
    config = load_rules(folder / "rules.yaml")
    assert config.template_dirs == (folder / "templates", DEFAULT_CONFIG_DIR / "templates")
