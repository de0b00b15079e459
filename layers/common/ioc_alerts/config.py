"""The rules file: each rule's thresholds, schedule, channels and template names.

Operators edit `rules.yaml` (the default ships beside this module in `config/`); templates
are looked up next to the rules file first (`templates/`), then among the defaults, so a
copy of the rules file can override just one text. A wrong key, type or template name is an
InputError that names the file, the key and the problem.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    ValidationError,
)

from ioc_alerts.problems import InputError, read_text
from ioc_alerts.vietnam_time import WEEKDAYS

DEFAULT_CONFIG_DIR = Path(__file__).parent / "config"
DEFAULT_RULES_FILE = DEFAULT_CONFIG_DIR / "rules.yaml"

Channel = Literal["sms", "email"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
TemplateName = Annotated[str, StringConstraints(pattern=r"^[\w.-]+\.j2$")]

PORTAL_STALE = "portal_stale"
DOSSIERS_OVERDUE = "dossiers_overdue"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _quoted_time(value: object) -> object:
    """YAML reads an unquoted 18:30 as the number 1110 (base 60): say what to write instead."""
    if isinstance(value, int):
        raise ValueError('write the time in quotes, e.g. time: "08:00"')
    return value


class Schedule(_Strict):
    days: Annotated[list[Weekday], Field(min_length=1)]
    time: Annotated[
        str,
        BeforeValidator(_quoted_time),
        StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$"),
    ]

    def includes(self, weekday: str) -> bool:
        return weekday in self.days


class Templates(_Strict):
    sms: TemplateName
    email_subject: TemplateName
    email_text: TemplateName
    email_html: TemplateName


class Variant(_Strict):
    threshold: Annotated[int, Field(ge=0, strict=True)]
    templates: Templates


class PortalStaleRule(_Strict):
    enabled: bool = True
    schedule: Schedule
    channels: Annotated[list[Channel], Field(min_length=1)]
    provincial: Variant
    component: Variant

    def variant(self, kind: str) -> Variant:
        return self.provincial if kind == "provincial" else self.component


class DossiersOverdueRule(_Strict):
    enabled: bool = True
    schedule: Schedule
    channels: Annotated[list[Channel], Field(min_length=1)]
    threshold: Annotated[int, Field(ge=1, strict=True)]
    templates: Templates


class Rules(_Strict):
    portal_stale: PortalStaleRule
    dossiers_overdue: DossiersOverdueRule


class Sms(_Strict):
    encoding: Literal["unicode", "gsm7"] = "unicode"


class RulesConfig(_Strict):
    organisation: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    sms: Sms = Sms()
    rules: Rules
    # Where the file was read from; template look-up starts next to it.
    _source: Path = PrivateAttr(default=DEFAULT_RULES_FILE)

    @property
    def source(self) -> Path:
        return self._source

    @property
    def template_dirs(self) -> tuple[Path, ...]:
        own = self.source.parent / "templates"
        default = DEFAULT_CONFIG_DIR / "templates"
        return (own, default) if own.resolve() != default.resolve() else (default,)


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a key given twice (PyYAML would keep the last silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} appears twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_rules(path: Path | str | None = None) -> RulesConfig:
    """Read and validate a rules file (the default one when no path is given)."""
    source = Path(path) if path is not None else DEFAULT_RULES_FILE
    text = read_text(source, "rules")
    try:
        raw = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        raise InputError(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise InputError(f"{source}: expected a mapping of settings at the top level")
    try:
        config = RulesConfig.model_validate(raw)
    except ValidationError as exc:
        lines = [
            f"{source}: {'.'.join(str(p) for p in err['loc'])}: {_explain(err)}"
            for err in exc.errors()
        ]
        raise InputError("invalid rules file:\n  " + "\n  ".join(lines)) from exc
    config._source = source
    # Local import: render needs the config types defined above.
    from ioc_alerts.render import check_templates

    check_templates(config)
    return config


def _explain(error: object) -> str:
    err = error if isinstance(error, dict) else {}
    if err.get("type") == "extra_forbidden":
        return "unknown key (check its spelling and indentation)"
    if err.get("type") == "missing":
        return "required key is missing"
    return str(err.get("msg", "invalid value"))


__all__ = ["DOSSIERS_OVERDUE", "PORTAL_STALE", "WEEKDAYS", "RulesConfig", "load_rules"]
