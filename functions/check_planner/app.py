"""check_planner: each minute, lease the connections their cadence says are due and queue
them for check_worker (urgent: hot and warm; normal: calm); once a day, queue each Salesforce
connection's usage-file collection (normal)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics

from apibrake.runtime.lambda_entry import lambda_entry, rejected

logger = Logger()
metrics = Metrics()


def handle(
    event: Any, context: Any = None, *, clock: Callable[[], datetime] | None = None
) -> dict[str, Any]:
    """The handler's work; tests pass the sandbox clock. The minute schedule sends
    `{"scheduled": true}`, the daily one `{"collect": "usage_files"}` (one collect request
    per Salesforce connection); the domain loads on the first invocation, not at import."""
    from apibrake.models.errors import InvalidInput, parse_event
    from apibrake.models.events import MonitorEvent
    from apibrake.runtime import fleet, fleet_collect

    request = parse_event(MonitorEvent, {} if event is None else event)
    if isinstance(request, InvalidInput):
        return rejected(logger, request)
    if request.collect == "usage_files":
        return fleet_collect.plan_collection(context, logger, clock=clock)
    return fleet.plan_checks(context, logger, clock=clock)


lambda_handler = lambda_entry(handle, logger, metrics)
