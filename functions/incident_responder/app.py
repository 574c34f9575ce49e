"""incident_responder: brake the allowlisted automations of one connection or all."""

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

from apibrake import wiring
from apibrake.brake import responder
from apibrake.brake.assembly import incident_deps
from apibrake.brake.deadline import Deadline
from apibrake.brake.idempotency import WINDOW_SECONDS, BrakeKey, IncompleteRun
from apibrake.models.errors import InvalidInput, parse_event
from apibrake.models.events import BrakeEvent
from apibrake.models.reports import IncidentReport, RowStatus

Clock = Callable[[], datetime]
logger = Logger()
metrics = Metrics()


def _utcnow() -> datetime:
    return datetime.now(UTC)


IDEMPOTENCY = IdempotencyConfig(expires_after_seconds=WINDOW_SECONDS)


async def _brake(request: BrakeEvent, deadline: Deadline, clock: Clock) -> IncidentReport:
    settings = wiring.settings()
    async with httpx.AsyncClient() as http_client:
        deps = incident_deps(
            settings,
            dynamodb=wiring.aws_client("dynamodb"),
            sns=wiring.aws_client("sns"),
            load_secret=wiring.secret_loader(),
            http_client=http_client,
            now=clock,
        )
        return await responder.brake(request, deps, deadline)


def _run(request: BrakeEvent, deadline: Deadline, clock: Clock) -> dict[str, Any]:
    started = time.monotonic()
    report = asyncio.run(_brake(request, deadline, clock))
    _emit_metrics(report, time.monotonic() - started)
    return report.model_dump(mode="json")


@functools.cache
def _once() -> Callable[..., dict[str, Any]]:
    """The side-effecting brake behind Powertools Idempotency (built on first use)."""
    store = DynamoDBPersistenceLayer(
        table_name=wiring.settings().idempotency_table,
        boto3_client=wiring.aws_client("dynamodb"),
    )

    @idempotent_function(  # type: ignore[untyped-decorator]
        data_keyword_argument="key", persistence_store=store, config=IDEMPOTENCY
    )
    def brake_once(
        *, key: BrakeKey, request: BrakeEvent, deadline: Deadline, clock: Clock
    ) -> dict[str, Any]:
        result = _run(request, deadline, clock)
        if not result["complete"]:
            raise IncompleteRun(result)  # not cached: the next trigger resumes
        return result

    return brake_once  # type: ignore[no-any-return]


def _emit_metrics(report: IncidentReport, seconds: float) -> None:
    if report.dry_run:
        return
    count = {status: sum(r.status is status for r in report.rows) for status in RowStatus}
    metrics.add_metric("AutomationsBraked", MetricUnit.Count, count[RowStatus.BRAKED])
    metrics.add_metric(
        "AutomationsFailed",
        MetricUnit.Count,
        count[RowStatus.FAILED] + count[RowStatus.NEEDS_HUMAN],
    )
    metrics.add_metric("BrakeApiCalls", MetricUnit.Count, sum(report.api_calls.values()))
    metrics.add_metric("BrakeDuration", MetricUnit.Seconds, round(seconds, 3))


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(event, context)


def handle(event: Any, context: Any = None, *, clock: Clock = _utcnow) -> dict[str, Any]:
    """The handler's work; tests call it with the sandbox's clock and a fake context."""
    request = parse_event(BrakeEvent, event)
    if isinstance(request, InvalidInput):
        logger.warning("invalid event", extra={"field": request.field})
        return request.model_dump()
    deadline = Deadline.from_context(context)
    logger.info(
        "brake requested",
        extra={
            "connection_id": request.connection_id or "*",
            "dry_run": request.dry_run,
            "requested_by": request.requested_by,
        },
    )
    if request.dry_run:
        return _run(request, deadline, clock)  # changes nothing: no idempotency needed
    if context is not None:
        IDEMPOTENCY.register_lambda_context(context)
    key = BrakeKey.of(request, clock())
    try:
        result: dict[str, Any] = _once()(key=key, request=request, deadline=deadline, clock=clock)
    except IncompleteRun as incomplete:
        return incomplete.report
    except IdempotencyAlreadyInProgressError:
        return {
            "error": "already_in_progress",
            "field": "connection_id",
            "message": f"a brake of {key.connection_id} is already running in this window",
        }
    return result
