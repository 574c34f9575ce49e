"""Shadow mode on the brake's side (auto_brake: shadow): the plan, kept and told.

The monitor asks for a shadow brake where the real one would start. The responder then
runs the brake as a dry run (the allowlist vetted as for the real brake, one inventory
read per kind, the engine's decisions), and this module journals that plan as a shadow
incident and words its alert. A shadow incident has its own status and neither the
connection's open marker nor a lease: release never finds it, and a real brake (by hand,
or once auto_brake is true) opens its own incident as if the shadow were not there.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from apibrake.incident.deps import IncidentDeps
from apibrake.incident.outcome import ConnectionOutcome, incident_report
from apibrake.incident.records import SHADOW_STATUS, BrakeState, IncidentMeta, JournalRow
from apibrake.models.alert import Alert
from apibrake.models.attribution import Suspects
from apibrake.models.connection import Connection
from apibrake.models.events import BrakeEvent, ReleaseEvent
from apibrake.models.reports import AutomationRow, ConnectionFailure, FailureCode, IncidentReport
from apibrake.warn.incident_alerts import would_have_braked

# What a shadow incident's header counts its plan's reads under (api_calls).
PLAN_CALLS = "plan"


def shadow_incident_id(connection_id: str, now: datetime) -> str:
    return f"{connection_id}-shadow-{now:%Y%m%dT%H%M%SZ}"


def mark_planned(rows: list[JournalRow], acting: list[JournalRow]) -> None:
    """The rows the real brake would have changed read `would_brake` in the journal."""
    planned = {row.automation for row in acting}
    for row in rows:
        if row.automation in planned:
            row.brake = BrakeState.WOULD_BRAKE


def record_plan(
    deps: IncidentDeps,
    connection: Connection,
    request: BrakeEvent,
    rows: list[JournalRow],
    *,
    calls: int,
    suspects: Suspects | None,
) -> str:
    """Journals the plan as a shadow incident; returns its id (blocking: DynamoDB)."""
    now = deps.now()
    meta = IncidentMeta(
        incident_id=shadow_incident_id(connection.connection_id, now),
        connection_id=connection.connection_id,
        platform=connection.platform,
        opened_at=now,
        reason=request.reason,
        requested_by=request.requested_by,
        tier=request.tier,
        status=SHADOW_STATUS,
        api_calls={PLAN_CALLS: calls},
        suspects_before=suspects,
    )
    return deps.journal.record_shadow(meta, rows).incident_id


def plan_alert(
    connection: Connection,
    request: BrakeEvent,
    incident_id: str,
    rows: list[AutomationRow],
    *,
    calls: int,
    planned_calls: int,
    suspects: Suspects | None,
    now: datetime,
) -> Alert:
    return would_have_braked(
        connection_id=connection.connection_id,
        platform=connection.platform.value,
        incident_id=incident_id,
        rows=rows,
        reason=request.reason,
        calls=calls,
        planned_calls=planned_calls,
        before=suspects,
        now=now,
    )


async def refuse_release(request: ReleaseEvent, deps: IncidentDeps) -> IncidentReport | None:
    """The report of a release asked of a shadow incident (nothing to put back: nothing was
    changed), or None for any other incident. The scheduled release never meets one: it
    looks at open incidents only."""
    meta = await asyncio.to_thread(deps.journal.meta, request.incident_id)
    if meta is None or not meta.is_shadow:
        return None
    refused = ConnectionOutcome(
        meta.connection_id,
        incident_id=meta.incident_id,
        failure=ConnectionFailure(
            connection_id=meta.connection_id,
            code=FailureCode.INVALID,
            field="incident_id",
            error=(
                f"{meta.incident_id} is a shadow incident (auto_brake: shadow): it only "
                "planned the brake and changed nothing, so there is nothing to release"
            ),
        ),
    )
    return incident_report("release", meta.incident_id, [refused], dry_run=request.dry_run)
