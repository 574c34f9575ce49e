"""`apibrake incidents ID --raise-request`: the pre-filled raise (warn/raise_request.py) for an
incident, from its journal and the readings the monitor stored around it.

Reads the stack's tables only: no platform call, so it works while the limit is spent.
"""

from __future__ import annotations

from datetime import UTC, datetime

from apibrake.incident.records import BrakeState, IncidentMeta, JournalRow
from apibrake.models.connection import Platform
from apibrake.models.usage import UsageReading
from apibrake.warn import raise_request
from apibrake.watch.forecast import DEFAULT_RATE_WINDOW, burn_rate_per_hour
from apibrake_cli.target import Target


def raise_request_text(
    stack: Target, meta: IncidentMeta, rows: list[JournalRow], *, today: datetime | None = None
) -> str:
    readings = _readings_around(stack, meta)
    before = [r for r in readings if r.taken_at <= meta.opened_at and not r.stale]
    last = before[-1] if before else None
    facts = raise_request.RaiseFacts(
        platform=meta.platform,
        connection_id=meta.connection_id,
        label=_label(stack, meta.connection_id),
        today=(today or datetime.now(UTC)).astimezone(UTC).date(),
        exhausted_at=_exhausted_at(readings),
        limit=last.limit if last is not None and last.limit else None,
        # The burn in the hour before the brake: what the runaway spent, the need the
        # raise must cover while it is being stopped.
        rate_per_hour=burn_rate_per_hour(
            before,
            now=meta.opened_at,
            window=DEFAULT_RATE_WINDOW,
            resets=meta.platform is Platform.HUBSPOT,
        ),
        org_id=_org_id(rows),
        suspects=meta.suspects_before,
        braked=[row.automation for row in rows if row.brake is BrakeState.BRAKED],
        tripped=(meta.opened_at, meta.trip_percent) if meta.trip_percent is not None else None,
    )
    return raise_request.compose(facts)


def _readings_around(stack: Target, meta: IncidentMeta) -> list[UsageReading]:
    """Oldest first, from an hour before the brake; none when they have expired."""
    since = meta.opened_at - DEFAULT_RATE_WINDOW
    return sorted(stack.state.readings_since(meta.connection_id, since), key=lambda r: r.taken_at)


def _exhausted_at(readings: list[UsageReading]) -> datetime | None:
    """The first reading at the limit: when the integrations stopped (None: never seen)."""
    return next((r.taken_at for r in readings if r.limit and r.used >= r.limit), None)


def _label(stack: Target, connection_id: str) -> str:
    try:
        connection = stack.connections.get(connection_id)
    except ValueError:  # an item that no longer validates still has its id to show
        return connection_id
    return connection.display_name if connection is not None else connection_id


def _org_id(rows: list[JournalRow]) -> str | None:
    """A braked custom setting's org-default row records the org that owns it: the only
    place the journal holds the org id (otherwise the case text says where to find it)."""
    for row in rows:
        found = (row.before or {}).get("org_id")
        if isinstance(found, str) and found:
            return found
    return None
