"""usage_monitor: on each schedule tick, check every connection's API usage, warn, brake."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics

from apibrake.runtime.lambda_entry import lambda_entry, rejected

if TYPE_CHECKING:
    from apibrake.runtime.watch import Invoker

logger = Logger()
metrics = Metrics()


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
    from apibrake.runtime import watch

    request = parse_event(MonitorEvent, {} if event is None else event)
    if isinstance(request, InvalidInput):
        return rejected(logger, request)
    return watch.check_usage(request, context, logger, clock=clock, invoker=invoker)


lambda_handler = lambda_entry(handle, logger, metrics)
