"""The one place that creates the Powertools Logger, Tracer and Metrics of the service."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "ioc-alerts"

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(namespace="IocAlerts", service=SERVICE)


def mask_phone(phone: str | None) -> str | None:
    """+84900010043 -> +849******43: enough to tell contacts apart in a log, not to call them."""
    if not phone:
        return phone
    return phone[:4] + "*" * max(len(phone) - 6, 0) + phone[-2:]


def mask_email(email: str | None) -> str | None:
    """lanhdao1.stttt@example.gov.vn -> l***@example.gov.vn."""
    if not email or "@" not in email:
        return email
    local, domain = email.rsplit("@", 1)
    return f"{local[:1]}***@{domain}"
