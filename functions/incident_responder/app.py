"""incident_responder: brake the allowlisted automations of one connection or all."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics

from apibrake.runtime.logs import route_layer_logs
from apibrake.runtime.tracing import traced

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
metrics = Metrics()
route_layer_logs(logger)


@logger.inject_lambda_context(log_event=False)
@traced
@metrics.log_metrics
def lambda_handler(event: Any, context: LambdaContext) -> dict[str, Any]:
    return handle(event, context)


def handle(
    event: Any, context: Any = None, *, clock: Callable[[], datetime] | None = None
) -> dict[str, Any]:
    """The handler's work; tests call it with the sandbox's clock and a fake context.
    The domain loads on the first invocation, not at import."""
    from apibrake.models.errors import InvalidInput, parse_event
    from apibrake.models.events import BrakeEvent
    from apibrake.runtime import entry, incidents

    request = parse_event(BrakeEvent, event)
    if isinstance(request, InvalidInput):
        return entry.rejected(logger, request)
    return incidents.brake(request, context, clock)
