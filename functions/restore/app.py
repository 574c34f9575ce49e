"""restore: put back what an incident braked, on request or once the window recovered."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from apibrake import wiring
from apibrake.brake.assembly import incident_deps
from apibrake.brake.deadline import Deadline
from apibrake.brake.idempotency import IncompleteRun
from apibrake.models.errors import InvalidInput, parse_event
from apibrake.models.events import ReleaseEvent, ReleaseRecoveredEvent
from apibrake.models.reports import IncidentReport, RowStatus
from apibrake.release import restorer

Clock = Callable[[], datetime]
logger = Logger()
metrics = Metrics()
WINDOW_SECONDS = 300  # a schedule period is 15 min: repeated deliveries land well inside


def _utcnow() -> datetime:
    return datetime.now(UTC)


IDEMPOTENCY = IdempotencyConfig(expires_after_seconds=WINDOW_SECONDS)

Request = ReleaseEvent | ReleaseRecoveredEvent


class ReleaseKey(BaseModel):
    incident_id: str  # "*" for the scheduled form
    force: bool
    window: str


async def _release(request: Request, deadline: Deadline, clock: Clock) -> IncidentReport:
    async with httpx.AsyncClient() as http_client:
        deps = incident_deps(
            wiring.settings(),
            dynamodb=wiring.aws_client("dynamodb"),
            sns=wiring.aws_client("sns"),
            load_secret=wiring.secret_loader(),
            http_client=http_client,
            now=clock,
        )
        if isinstance(request, ReleaseEvent):
            return await restorer.release(request, deps, deadline)
        return await restorer.release_recovered(request, deps, deadline)


def _run(request: Request, deadline: Deadline, clock: Clock) -> dict[str, Any]:
    started = time.monotonic()
    report = asyncio.run(_release(request, deadline, clock))
    if not report.dry_run:
        released = sum(r.status is RowStatus.RELEASED for r in report.rows)
        metrics.add_metric("AutomationsReleased", MetricUnit.Count, released)
        metrics.add_metric("ReleaseApiCalls", MetricUnit.Count, sum(report.api_calls.values()))
        metrics.add_metric("ReleaseDuration", MetricUnit.Seconds, time.monotonic() - started)
    return report.model_dump(mode="json")


@functools.cache
def _once() -> Callable[..., dict[str, Any]]:
    store = DynamoDBPersistenceLayer(
        table_name=wiring.settings().idempotency_table,
        boto3_client=wiring.aws_client("dynamodb"),
    )

    @idempotent_function(  # type: ignore[untyped-decorator]
        data_keyword_argument="key", persistence_store=store, config=IDEMPOTENCY
    )
    def release_once(
        *, key: ReleaseKey, request: Request, deadline: Deadline, clock: Clock
    ) -> dict[str, Any]:
        result = _run(request, deadline, clock)
        if not result["complete"] or result["errors"]:
            raise IncompleteRun(result)  # not cached: the next run tries again
        return result

    return release_once  # type: ignore[no-any-return]


def _parse(event: Any) -> Request | InvalidInput:
    if isinstance(event, dict) and event.get("action") == "release":
        return parse_event(ReleaseEvent, event)
    return parse_event(ReleaseRecoveredEvent, event)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(event, context)


def handle(event: Any, context: Any = None, *, clock: Clock = _utcnow) -> dict[str, Any]:
    """The handler's work; tests call it with the sandbox's clock and a fake context."""
    request = _parse(event)
    if isinstance(request, InvalidInput):
        logger.warning("invalid event", extra={"field": request.field})
        return request.model_dump()
    deadline = Deadline.from_context(context)
    if request.dry_run:
        return _run(request, deadline, clock)
    if context is not None:
        IDEMPOTENCY.register_lambda_context(context)
    now = clock()
    key = ReleaseKey(
        incident_id=getattr(request, "incident_id", "*"),
        force=getattr(request, "force", False),
        window=f"{now:%Y-%m-%dT%H}:{now.minute // 5:02d}",
    )
    try:
        result: dict[str, Any] = _once()(key=key, request=request, deadline=deadline, clock=clock)
    except IncompleteRun as incomplete:
        return incomplete.report
    except IdempotencyAlreadyInProgressError:
        return {
            "error": "already_in_progress",
            "field": "incident_id",
            "message": f"a release of {key.incident_id} is already running",
        }
    return result
