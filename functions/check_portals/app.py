"""check_portals: the daily portal freshness check (portal_stale), run by EventBridge Scheduler."""

from typing import Any

from ioc_alerts.check_entry import handle_check
from ioc_alerts.config import PORTAL_STALE
from ioc_alerts.observability import logger, metrics, tracer


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle_check(PORTAL_STALE, event, context)
