"""Render the texts of a notification from the operator's jinja2 templates.

Data only ever fills variables: a unit name holding HTML, line breaks or `{{ ... }}` is text,
never markup or template code. HTML bodies are autoescaped, SMS texts and subjects are
folded to one line, and the templates themselves run in jinja2's sandbox.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

import jinja2
from jinja2 import meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ioc_alerts.config import DOSSIERS_OVERDUE, PORTAL_STALE, RulesConfig, Templates
from ioc_alerts.directory import Contact, Level, Unit, clean_text
from ioc_alerts.problems import InputError
from ioc_alerts.routing import OWN_UNIT, PARENT_OF_COMMUNE, Routing
from ioc_alerts.rules import Breach
from ioc_alerts.sms import SmsText, sms_text
from ioc_alerts.vietnam_time import WEEKDAY_NAMES_VI, format_day


@dataclass(frozen=True, slots=True)
class Email:
    subject: str
    text: str
    html: str


def templates_for(config: RulesConfig, breach: Breach) -> Templates:
    if breach.rule == PORTAL_STALE:
        return config.rules.portal_stale.variant(breach.variant).templates
    return config.rules.dossiers_overdue.templates


def context(breach: Breach, routing: Routing, contact: Contact | None = None) -> dict[str, Any]:
    """The variables every template may use (documented in docs/configuration.md)."""
    unit, recipient = routing.unit, routing.recipient_unit
    return {
        "rule": breach.rule,
        "date": format_day(breach.day),
        "weekday": WEEKDAY_NAMES_VI[breach.day.weekday()],
        "unit": unit.label,
        "unit_name": unit.name,
        "unit_code": unit.code,
        "unit_level": unit.level.value,
        "value": breach.value,
        "threshold": breach.threshold,
        "days": breach.value if breach.rule == PORTAL_STALE else None,
        "count": breach.value if breach.rule == DOSSIERS_OVERDUE else None,
        "portal_kind": breach.variant if breach.rule == PORTAL_STALE else None,
        "portal_name": breach.portal_name,
        "portal_url": breach.portal_url,
        "last_published_on": (
            format_day(breach.last_published_on) if breach.last_published_on else None
        ),
        "recipient_unit": recipient.label if recipient else None,
        "recipient_unit_name": recipient.name if recipient else None,
        "recipient_name": contact.name if contact else None,
        "recipient_title": contact.title if contact else None,
        "reason": routing.reason,
        "own_unit": routing.reason == OWN_UNIT,
    }


class Renderer:
    """Renders SMS texts and e-mails with the templates a rules config names."""

    def __init__(self, config: RulesConfig) -> None:
        self.config = config

    @cached_property
    def _env(self) -> jinja2.Environment:
        return ImmutableSandboxedEnvironment(
            loader=jinja2.FileSystemLoader([str(d) for d in self.config.template_dirs]),
            autoescape=jinja2.select_autoescape(
                enabled_extensions=("html.j2",), default_for_string=False, default=False
            ),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=False,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )

    def _render(self, name: str, variables: dict[str, Any]) -> str:
        return unicodedata.normalize("NFC", self._env.get_template(name).render(variables))

    def _variables(
        self, breach: Breach, routing: Routing, contact: Contact | None
    ) -> dict[str, Any]:
        return {"organisation": self.config.organisation, **context(breach, routing, contact)}

    def sms(self, breach: Breach, routing: Routing) -> SmsText:
        """The SMS text (the same for every recipient of a breach), encoded as configured."""
        templates = templates_for(self.config, breach)
        text = clean_text(self._render(templates.sms, self._variables(breach, routing, None)))
        return sms_text(text, self.config.sms.encoding)

    def email(self, breach: Breach, routing: Routing, contact: Contact) -> Email:
        templates = templates_for(self.config, breach)
        variables = self._variables(breach, routing, contact)
        variables["sms_text"] = clean_text(self._render(templates.sms, variables))
        return Email(
            subject=clean_text(self._render(templates.email_subject, variables)),
            text=self._render(templates.email_text, variables).strip() + "\n",
            html=self._render(templates.email_html, variables),
        )


def check_templates(config: RulesConfig) -> None:
    """Load and trial-render every template the config names, so that a missing file, a
    syntax error or an unknown variable is found when the config is loaded, not at 08:00."""
    renderer = Renderer(config)
    env = renderer._env
    dirs = ", ".join(str(d) for d in config.template_dirs)
    for key, breach, routing in _samples():
        for field, name in templates_for(config, breach).model_dump().items():
            # The variables the renderer will give: an SMS has no recipient and no sms_text.
            if field == "sms":
                variables = renderer._variables(breach, routing, None)
            else:
                variables = renderer._variables(breach, routing, _SAMPLE_CONTACT)
                variables["sms_text"] = "..."
            where = f"{config.source}: {key}.templates.{field}: template {name!r}"
            try:
                unknown = _unknown_variables(env, name, set(variables) | set(env.globals))
                env.get_template(name).render(variables)
            except jinja2.TemplateNotFound as exc:
                missing = "" if exc.name == name else f" uses {exc.name!r}, which is"
                raise InputError(f"{where}{missing} not found in {dirs}") from exc
            except jinja2.TemplateSyntaxError as exc:
                inside = "" if exc.name in (None, name) else f" (in {exc.name!r})"
                raise InputError(f"{where}{inside} line {exc.lineno}: {exc.message}") from exc
            except jinja2.TemplateError as exc:
                raise InputError(f"{where}: {exc}") from exc
            if unknown:
                raise InputError(
                    f"{where}: {'; '.join(unknown)} (docs/configuration.md lists the variables)"
                )


def _unknown_variables(env: jinja2.Environment, name: str, known: set[str]) -> list[str]:
    """Variables a template, or one it extends or includes, uses but is never given. Trial
    rendering alone misses those in branches the sample data does not take."""
    assert env.loader is not None
    unknown: list[str] = []
    pending, seen = [name], {name}
    while pending:
        current = pending.pop()
        tree = env.parse(env.loader.get_source(env, current)[0], current)
        unknown += [
            f"{variable!r} is undefined in {current}"
            for variable in sorted(meta.find_undeclared_variables(tree) - known)
        ]
        for used in meta.find_referenced_templates(tree):
            if used is not None and used not in seen:
                seen.add(used)
                pending.append(used)
    return unknown


_SAMPLE_CONTACT = Contact(name="Nguyễn Văn A", phone="+84900000000", email="a@example.gov.vn")


def _samples() -> list[tuple[str, Breach, Routing]]:
    """One breach per template set, routed like real ones, to trial-render the templates."""
    day, posted = date(2023, 11, 6), date(2023, 11, 2)
    department = Unit(
        "STTTT",
        "Sở Thông tin và Truyền thông",
        Level.DEPARTMENT,
        "94",
        "Sở TTTT",
        (_SAMPLE_CONTACT,),
    )
    district = Unit("942", "Huyện Châu Thành", Level.DISTRICT, "94", None, (_SAMPLE_CONTACT,))
    commune = Unit("31570", "Xã Hồ Đắc Kiện", Level.COMMUNE, "942")
    own = Routing(department, department, department.contacts, OWN_UNIT)
    name, url = "Cổng TTĐT", "https://example.gov.vn"
    return [
        (
            "rules.portal_stale.provincial",
            Breach(PORTAL_STALE, "provincial", "STTTT", "p1", day, 3, 3, name, url, posted),
            own,
        ),
        (
            "rules.portal_stale.component",
            Breach(PORTAL_STALE, "component", "STTTT", "p2", day, 5, 5, name, url, posted),
            own,
        ),
        (
            "rules.dossiers_overdue",
            Breach(DOSSIERS_OVERDUE, "default", "31570", "31570", day, 2, 2),
            Routing(commune, district, district.contacts, PARENT_OF_COMMUNE),
        ),
    ]
