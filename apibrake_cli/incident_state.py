"""What an incident command says when its own run did not do the work: another run holds
it, the user pressed Ctrl-C, or the incident was released already. Never an empty table
with exit 0: state a person cannot see is state they act wrongly on."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from apibrake.incident.journal import JournalStore
from apibrake.incident.records import IncidentMeta
from apibrake_cli.output import Output
from apibrake_cli.steps import command_line

ALREADY_RUNNING = "already_in_progress"  # the functions' answer for a run in progress


def utc(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def is_busy(report: dict[str, Any]) -> bool:
    """Another invocation runs the same request, or holds the incident's lease."""
    return report.get("error") == ALREADY_RUNNING or any(
        failure.get("code") == "busy" for failure in report.get("errors", [])
    )


def explain_busy(out: Output, journal: JournalStore, connection_ids: list[str], retry: str) -> None:
    """Which incident is being worked on, since when, and when it can be resumed."""
    open_ids = journal.open_incident_ids(connection_ids)
    if not open_ids:
        out.say(f"Another run of this request is still working: nothing done here. {retry}")
        return
    for incident_id in open_ids.values():
        meta = journal.meta(incident_id)
        if meta is None:
            continue
        lease = journal.lease_until(incident_id)
        when = (
            f"if that run stops, its lease lets another resume it from {utc(lease)}"
            if lease is not None
            else "no run holds it now"
        )
        out.say(
            f"Incident {incident_id} of {meta.connection_id} (opened {utc(meta.opened_at)}"
            f"{_by(meta)}) is being worked on by another run: nothing done here; {when}. "
            f"{retry} See its journal: {command_line('incidents', incident_id)}"
        )


def explain_interrupted(out: Output, action: str, journal: JournalStore, cids: list[str]) -> None:
    """Ctrl-C while a function ran: what may be left open and how to resume it."""
    open_ids = journal.open_incident_ids(cids) if cids else {}
    left = ", ".join(sorted(open_ids.values())) or "none recorded yet"
    out.err.print(
        f"Interrupted: the {action} may have stopped part-way. Open incidents: {left}. Every "
        "change was journaled before it was made: run the same command again to resume, and "
        f"check with {command_line('incidents')}.",
        markup=False,
    )


def already_released(out: Output, meta: IncidentMeta) -> None:
    closed = utc(meta.closed_at) if meta.closed_at else "an earlier run"
    out.say(
        f"Incident {meta.incident_id} was already released at {closed}: nothing to do, no API "
        f"calls spent. Its journal: {command_line('incidents', meta.incident_id)}"
    )


def _by(meta: IncidentMeta) -> str:
    return f" by {meta.requested_by}" if meta.requested_by else ""
