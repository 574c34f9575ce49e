"""What every function's entry shares: Powertools' logger context, the lazy tracer and
metrics around its `handle`, and the answer to an event it cannot accept. Powertools only
at import: a cold start loads the domain on the first invocation, in `handle`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics

from apibrake.runtime.logs import route_layer_logs
from apibrake.runtime.tracing import traced

if TYPE_CHECKING:
    from apibrake.models.errors import InvalidInput

Handle = Callable[[Any, Any], dict[str, Any]]


def lambda_entry(handle: Handle, logger: Logger, metrics: Metrics) -> Handle:
    route_layer_logs(logger)

    @logger.inject_lambda_context(log_event=False)
    @traced
    @metrics.log_metrics
    def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
        return handle(event, context)

    return lambda_handler


def rejected(logger: Logger, problem: InvalidInput) -> dict[str, Any]:
    """The answer to an event the function cannot accept: the field, never a traceback."""
    logger.warning("invalid event", extra={"field": problem.field})
    return problem.model_dump()
