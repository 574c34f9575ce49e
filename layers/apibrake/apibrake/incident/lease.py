"""One invocation works on an incident at a time: a lease on the incident's header.

A crashed holder frees it when the lease runs out, which is Lambda's longest run.
"""

from __future__ import annotations

from datetime import timedelta

from apibrake.incident.deps import IncidentDeps

LEASE = timedelta(minutes=15)


def take_lease(deps: IncidentDeps, incident_id: str) -> bool:
    now = deps.now()
    return deps.journal.acquire_lease(incident_id, deps.owner, now=now, until=now + LEASE)


def drop_lease(deps: IncidentDeps, incident_id: str) -> None:
    deps.journal.release_lease(incident_id, deps.owner)
