"""check_worker: check the connections of one SQS batch of check requests, and collect the
usage files of its collect requests; answer with the messages SQS should deliver again
(partial batch failures)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics

from apibrake.runtime.lambda_entry import lambda_entry

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
    """The handler's work; tests pass the sandbox clock and a fake invoker. The domain
    loads on the first invocation, not at import."""
    from apibrake.runtime import fleet

    return fleet.check_batch(event or {}, context, logger, clock=clock, invoker=invoker)


lambda_handler = lambda_entry(handle, logger, metrics)
