"""What one connection's brake or release came to, and the report of a whole invocation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from apibrake.models.attribution import Suspects
from apibrake.models.reports import AutomationRow, ConnectionFailure, IncidentReport


@dataclass
class ConnectionOutcome:
    connection_id: str
    incident_id: str | None = None
    rows: list[AutomationRow] = field(default_factory=list)
    calls: int = 0
    # Calls spent on other connections (release: the recovery reads of driven connections).
    other_calls: dict[str, int] = field(default_factory=dict)
    planned_calls: int = 0
    complete: bool = True
    failure: ConnectionFailure | None = None
    suspects_before: Suspects | None = None
    suspects_after: Suspects | None = None


def incident_report(
    action: str,
    run_id: str,
    outcomes: Sequence[ConnectionOutcome],
    *,
    dry_run: bool,
    failures: Sequence[ConnectionFailure] = (),
) -> IncidentReport:
    known = [o for o in outcomes if o.connection_id]  # a release of an unknown incident has none
    calls: dict[str, int] = {}
    for outcome in known:
        calls[outcome.connection_id] = calls.get(outcome.connection_id, 0) + outcome.calls
        for cid, spent in outcome.other_calls.items():
            calls[cid] = calls.get(cid, 0) + spent
    return IncidentReport(
        incident_id=run_id,
        action=action,
        dry_run=dry_run,
        api_calls=calls,
        planned_calls={o.connection_id: o.planned_calls for o in known} if dry_run else {},
        incidents={o.connection_id: o.incident_id for o in known if o.incident_id},
        rows=[row for outcome in outcomes for row in outcome.rows],
        errors=[*failures, *(o.failure for o in outcomes if o.failure)],
        complete=all(outcome.complete for outcome in outcomes),
        suspects_before={o.connection_id: o.suspects_before for o in known if o.suspects_before},
        suspects_after={o.connection_id: o.suspects_after for o in known if o.suspects_after},
    )
