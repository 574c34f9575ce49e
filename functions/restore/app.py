"""restore: put back what an incident braked, on request or once the window recovered."""

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
    """The handler's work; tests call it with the sandbox's clock and a fake context.
    The domain loads on the first invocation, not at import."""
    from apibrake.models.errors import InvalidInput, parse_event
    from apibrake.runtime import incidents

    request = parse_event(incidents.release_request(event), event)
    if isinstance(request, InvalidInput):
        return rejected(logger, request)
    return incidents.release(request, context, clock)


lambda_handler = lambda_entry(handle, logger, metrics)
