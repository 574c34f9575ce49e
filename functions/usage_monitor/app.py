"""usage_monitor: on each schedule tick, check every connection's API usage, warn, brake."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics

from apibrake.runtime.logs import route_layer_logs
from apibrake.runtime.tracing import traced

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from apibrake.runtime.watch import Invoker

logger = Logger()
metrics = Metrics()
route_layer_logs(logger)


@logger.inject_lambda_context(log_event=False)
@traced
@metrics.log_metrics
def lambda_handler(event: Any, context: LambdaContext) -> dict[str, Any]:
    return handle(event, context)


def handle(
    event: Any,
    context: Any = None,
    *,
    clock: Callable[[], datetime] | None = None,
    invoker: Invoker | None = None,
) -> dict[str, Any]:
    """The handler's work; tests pass the sandbox clock and a fake invoker here. `context`
    gives the remaining time (no context: no deadline). The domain loads on the first
    invocation, not at import."""
    from apibrake.models.errors import InvalidInput, parse_event
    from apibrake.models.events import MonitorEvent
    from apibrake.runtime import entry, watch

    request = parse_event(MonitorEvent, {} if event is None else event)
    if isinstance(request, InvalidInput):
        return entry.rejected(logger, request)
    return watch.check_usage(request, context, logger, clock=clock, invoker=invoker)
