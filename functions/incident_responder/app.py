"""incident_responder: brake the allowlisted automations of one connection or all."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext

from apibrake import wiring
from apibrake.brake import responder
from apibrake.brake.idempotency import WINDOW_SECONDS, BrakeKey
from apibrake.brake.invocation import Clock, IncidentInvocation
from apibrake.models.errors import InvalidInput, parse_event
from apibrake.models.events import BrakeEvent
from apibrake.models.reports import RowStatus
from apibrake.store.journal import JournalStore, utcnow

logger = Logger()
metrics = Metrics()


def _brake_key(request: BrakeEvent, now: datetime) -> BrakeKey:
    """Scoped to the journal's generation: a brake after a release is a new run."""
    journal = JournalStore(wiring.aws_client("dynamodb"), wiring.settings().state_table)
    return BrakeKey.of(request, now, generation=journal.generation())


brake = IncidentInvocation(
    "brake",
    responder.brake,
    key=_brake_key,
    window_seconds=WINDOW_SECONDS,
    # Failed rows are not cached either: the next trigger tries them again.
    settled=lambda report: (
        report.complete and not any(row.status is RowStatus.FAILED for row in report.rows)
    ),
    counted={
        "AutomationsBraked": {RowStatus.BRAKED},
        "AutomationsFailed": {RowStatus.FAILED, RowStatus.NEEDS_HUMAN},
    },
    metrics=metrics,
)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(event, context)


def handle(event: Any, context: Any = None, *, clock: Clock = utcnow) -> dict[str, Any]:
    """The handler's work; tests call it with the sandbox's clock and a fake context."""
    request = parse_event(BrakeEvent, event)
    if isinstance(request, InvalidInput):
        logger.warning("invalid event", extra={"field": request.field})
        return request.model_dump()
    logger.info(
        "brake requested",
        extra={
            "connection_id": request.connection_id or "*",
            "dry_run": request.dry_run,
            "requested_by": request.requested_by,
        },
    )
    return brake(request, context, clock)
