"""send_alert: drains the notification queue, sending SMS (SNS) and e-mail (SES)."""

from typing import Any

from ioc_alerts.observability import logger, metrics, tracer
from ioc_alerts.send_entry import handle_batch


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle_batch(event, context)
