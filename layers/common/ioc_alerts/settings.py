"""Settings: the environment parsed once into a typed object. Only handlers call `from_env`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ioc_alerts.problems import InputError


@dataclass(frozen=True)
class Settings:
    region: str
    directory_table: str
    breaches_table: str
    runs_table: str
    deliveries_table: str
    queue_url: str
    metrics_api_url: str
    metrics_api_token_parameter: str
    metrics_api_connect_timeout: float
    metrics_api_read_timeout: float
    metrics_api_attempts: int
    rules_file: Path | None
    breach_retention_days: int
    sms_sender_id: str
    sms_max_price: str
    sms_rate_per_second: float
    email_from: str
    email_rate_per_second: float
    ses_configuration_set: str
    dry_run: bool
    max_receive_count: int

    @property
    def tables(self) -> dict[str, str]:
        return {
            "directory": self.directory_table,
            "breaches": self.breaches_table,
            "runs": self.runs_table,
            "deliveries": self.deliveries_table,
        }

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env

        def text(name: str, default: str | None = None) -> str:
            value = env.get(name, default)
            if value is None or not value.strip():
                raise InputError(f"environment variable {name} is not set")
            return value.strip()

        def number(name: str, default: str) -> float:
            raw = text(name, default)
            try:
                value = float(raw)
            except ValueError as exc:
                raise InputError(f"environment variable {name}={raw!r} is not a number") from exc
            if value < 0:
                raise InputError(f"environment variable {name}={raw!r} is negative")
            return value

        rules = env.get("RULES_FILE", "").strip()
        return cls(
            region=text("AWS_REGION", env.get("AWS_DEFAULT_REGION", "ap-southeast-1")),
            directory_table=text("DIRECTORY_TABLE", "ioc-alerts-directory"),
            breaches_table=text("BREACHES_TABLE", "ioc-alerts-breaches"),
            runs_table=text("RUNS_TABLE", "ioc-alerts-runs"),
            deliveries_table=text("DELIVERIES_TABLE", "ioc-alerts-deliveries"),
            queue_url=env.get("NOTIFICATION_QUEUE_URL", "").strip(),
            metrics_api_url=env.get("METRICS_API_URL", "").strip(),
            metrics_api_token_parameter=env.get("METRICS_API_TOKEN_PARAMETER", "").strip(),
            metrics_api_connect_timeout=number("METRICS_API_CONNECT_TIMEOUT", "5"),
            metrics_api_read_timeout=number("METRICS_API_READ_TIMEOUT", "30"),
            metrics_api_attempts=max(int(number("METRICS_API_ATTEMPTS", "3")), 1),
            rules_file=Path(rules) if rules else None,
            breach_retention_days=int(number("BREACH_RETENTION_DAYS", "400")),
            sms_sender_id=env.get("SMS_SENDER_ID", "").strip(),
            sms_max_price=env.get("SMS_MAX_PRICE_USD", "").strip(),
            sms_rate_per_second=number("SMS_RATE_PER_SECOND", "0"),
            email_from=env.get("EMAIL_FROM", "").strip(),
            email_rate_per_second=number("EMAIL_RATE_PER_SECOND", "0"),
            ses_configuration_set=env.get("SES_CONFIGURATION_SET", "").strip(),
            dry_run=env.get("DRY_RUN", "false").strip().lower() in {"1", "true", "yes"},
            max_receive_count=int(number("MAX_RECEIVE_COUNT", "3")),
        )
