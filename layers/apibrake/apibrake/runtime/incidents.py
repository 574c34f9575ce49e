"""The incident functions' work: `brake` (incident_responder) and `release` (restore).

Each handler parses its event and makes one call; what the call needs (settings, AWS
clients, stores, platform clients, idempotency) is built by `invocation.py` and
`assembly.py` from what a warm container keeps (`container.py`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aws_lambda_powertools import Metrics

from apibrake.brake import responder, shadow
from apibrake.deadline import Deadline
from apibrake.incident.deps import IncidentDeps
from apibrake.incident.journal import JournalStore
from apibrake.incident.keys import (
    RELEASE_WINDOW_SECONDS,
    WINDOW_SECONDS,
    BrakeKey,
    ReleaseKey,
)
from apibrake.models.events import BrakeEvent, ReleaseEvent, ReleaseRecoveredEvent
from apibrake.models.reports import IncidentReport, RowStatus
from apibrake.release import restorer
from apibrake.runtime import aws, container
from apibrake.runtime.invocation import IncidentInvocation

_metrics = Metrics()  # Powertools metrics share one set per process: the handler flushes it


# Brake -------------------------------------------------------------------------------------


def _brake_key(request: BrakeEvent, now: datetime) -> BrakeKey:
    """Scoped to the journal's generation: a brake after a release is a new run."""
    journal = JournalStore(aws.aws_client("dynamodb"), container.incident_settings().state_table)
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
    metrics=_metrics,
)


# Release -----------------------------------------------------------------------------------

ReleaseRequest = ReleaseEvent | ReleaseRecoveredEvent


async def _release(
    request: ReleaseRequest, deps: IncidentDeps, deadline: Deadline
) -> IncidentReport:
    if isinstance(request, ReleaseEvent):
        refused = await shadow.refuse_release(request, deps)
        return refused or await restorer.release(request, deps, deadline)
    return await restorer.release_recovered(request, deps, deadline)


release = IncidentInvocation(
    "release",
    _release,
    key=ReleaseKey.of,
    window_seconds=RELEASE_WINDOW_SECONDS,
    # Errors and failed rows are not cached either: the next run (scheduled or by hand)
    # tries them again.
    settled=lambda report: (
        report.complete
        and not report.errors
        and not any(row.status is RowStatus.FAILED for row in report.rows)
    ),
    counted={"AutomationsReleased": {RowStatus.RELEASED}},
    metrics=_metrics,
)


def release_request(event: Any) -> type[ReleaseRequest]:
    """The event model: a manual release names an incident, the schedule does not."""
    if isinstance(event, dict) and event.get("action") == "release":
        return ReleaseEvent
    return ReleaseRecoveredEvent
