"""restore: put back what an incident braked, on request or once the window recovered."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext

from apibrake.brake.deps import IncidentDeps
from apibrake.brake.idempotency import RELEASE_WINDOW_SECONDS, ReleaseKey
from apibrake.brake.invocation import Clock, IncidentInvocation
from apibrake.deadline import Deadline
from apibrake.models.errors import InvalidInput, parse_event
from apibrake.models.events import ReleaseEvent, ReleaseRecoveredEvent
from apibrake.models.reports import IncidentReport, RowStatus
from apibrake.release import restorer
from apibrake.store.journal import utcnow

logger = Logger()
metrics = Metrics()

Request = ReleaseEvent | ReleaseRecoveredEvent


async def _release(request: Request, deps: IncidentDeps, deadline: Deadline) -> IncidentReport:
    if isinstance(request, ReleaseEvent):
        return await restorer.release(request, deps, deadline)
    return await restorer.release_recovered(request, deps, deadline)


release = IncidentInvocation(
    "release",
    _release,
    key=ReleaseKey.of,
    window_seconds=RELEASE_WINDOW_SECONDS,
    # Errors are not cached either: the next scheduled run tries those connections again.
    settled=lambda report: report.complete and not report.errors,
    counted={"AutomationsReleased": {RowStatus.RELEASED}},
    metrics=metrics,
)


def _parse(event: Any) -> Request | InvalidInput:
    if isinstance(event, dict) and event.get("action") == "release":
        return parse_event(ReleaseEvent, event)
    return parse_event(ReleaseRecoveredEvent, event)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(event, context)


def handle(event: Any, context: Any = None, *, clock: Clock = utcnow) -> dict[str, Any]:
    """The handler's work; tests call it with the sandbox's clock and a fake context."""
    request = _parse(event)
    if isinstance(request, InvalidInput):
        logger.warning("invalid event", extra={"field": request.field})
        return request.model_dump()
    return release(request, context, clock)
