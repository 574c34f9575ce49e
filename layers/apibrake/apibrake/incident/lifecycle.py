"""An incident's lifecycle in one invocation, the same for brake and release.

open (or join the connection's open incident) -> lease -> resume (the journalled rows whose
step is still open) -> finish (record the calls spent, close the incident once its rows are
settled, free the lease whatever happened). What each policy says about it (busy, closed,
re-armed) stays with the policy.

One invocation works on an incident at a time: a lease on the incident's header. A crashed
holder frees it when the lease runs out, which is Lambda's longest run. Every step here is
blocking (DynamoDB): the policies call them off the event loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from apibrake.incident.deps import IncidentDeps
from apibrake.incident.records import (
    CHANGED_STATES,
    SETTLED_RELEASE,
    BrakeState,
    Direction,
    IncidentMeta,
    JournalRow,
    ReleaseState,
)

LEASE = timedelta(minutes=15)
# Brake rows looked at again: interrupted ones and failed ones (a sick platform, a refused
# change); the rest are settled.
_BRAKE_OPEN = frozenset({BrakeState.PENDING, BrakeState.FAILED})


@dataclass
class IncidentLifecycle:
    deps: IncidentDeps
    direction: Direction

    def open(self, meta: IncidentMeta) -> IncidentMeta:
        """The connection's open incident, joined, or else `meta`, opened."""
        opened, _created = self.deps.journal.open_incident(meta)
        return opened

    def take_lease(self, incident_id: str) -> bool:
        now = self.deps.now()
        return self.deps.journal.acquire_lease(
            incident_id, self.deps.owner, now=now, until=now + LEASE
        )

    def drop_lease(self, incident_id: str) -> None:
        self.deps.journal.release_lease(incident_id, self.deps.owner)

    def journalled(self, incident_id: str) -> list[JournalRow]:
        """The incident's rows as journalled, to resume from (`still_open`)."""
        return self.deps.journal.rows(incident_id)

    def finish(
        self, meta: IncidentMeta, *, calls: int, closes: Callable[[list[JournalRow]], bool]
    ) -> bool:
        """Adds the invocation's calls to the header and saves it, closes the incident when
        `closes` says so of its journalled rows (it may note what it found on the header),
        and frees the lease whatever happens; True when it closed."""
        journal = self.deps.journal
        try:
            closing = closes(journal.rows(meta.incident_id))
            spent = meta.api_calls.get(self.direction.value, 0) + calls
            meta.api_calls[self.direction.value] = spent
            journal.save_meta(meta)
            if closing:
                journal.close(meta, now=self.deps.now())
            return closing
        finally:
            self.drop_lease(meta.incident_id)


def still_open(direction: Direction, rows: list[JournalRow]) -> list[JournalRow]:
    """The journalled rows whose step in `direction` is not settled. A release settles at
    once the rows the brake never changed ("nothing to restore")."""
    if direction is Direction.BRAKE:
        return [row for row in rows if row.brake in _BRAKE_OPEN]
    for row in rows:
        if row.brake not in CHANGED_STATES and row.release is None:
            row.release = ReleaseState.NOTHING
    return [row for row in rows if row.release not in SETTLED_RELEASE]


def resumes_brake(row: JournalRow) -> bool:
    """An open brake row whose journalled prior state stands (one whose first read failed
    has none worth keeping: it starts over)."""
    return not (row.brake is BrakeState.FAILED and row.before is None)


def nothing_left_to_release(rows: list[JournalRow]) -> bool:
    """Every row the brake changed (or may have) is settled for release."""
    return all(row.release in SETTLED_RELEASE or row.brake not in CHANGED_STATES for row in rows)
