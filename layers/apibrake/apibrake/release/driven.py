"""Have the connections a braked automation drives (`drives`) recovered too?

A row whose automation spends another connection's calls is released only once that
connection's window has recovered as well as its own. The decision is the same as for the
incident's own connection (`recovery.py`): from the monitor's stored readings when they
tell, else from one usage call on the driven connection.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from apibrake.aws_threads import AwsThreads
from apibrake.http.errors import DailyLimitExhausted
from apibrake.incident.deps import IncidentDeps
from apibrake.incident.readings import fresh_reading
from apibrake.incident.records import IncidentMeta, JournalRow
from apibrake.models.connection import Connection
from apibrake.release.recovery import recovery_from_stored, window_recovered

Decision = tuple[bool, str]  # (recovered, why)


class DrivenWindows:
    """Recovery of each driven connection, decided at most once per release run."""

    def __init__(self, deps: IncidentDeps, meta: IncidentMeta) -> None:
        self._deps = deps
        self._meta = meta  # the releasing incident: its brake is what stopped the drive
        self.decisions: dict[str, Decision] = {}
        self.calls: dict[str, int] = {}  # platform calls spent per driven connection
        self._undecided: dict[str, tuple[Connection, IncidentMeta]] = {}

    def decide_from_stored(self, connection_ids: Iterable[str]) -> None:
        """Blocking (DynamoDB reads): run it in the invocation's AWS threads."""
        now = self._deps.now()
        for cid in connection_ids:
            if cid in self.decisions or cid in self._undecided:
                continue
            try:
                connection = self._deps.connections.get(cid)
            except ValueError as error:
                connection, problem = None, str(error)
            else:
                problem = f"connection {cid} no longer exists"
            if connection is None:
                self.decisions[cid] = (False, f"{problem}: release by hand (force)")
                continue
            meta = self._their_meta(connection)
            decision = recovery_from_stored(connection, meta, self._deps.recent_readings(cid), now)
            if decision is None:
                self._undecided[cid] = (connection, meta)
            else:
                self.decisions[cid] = decision

    async def decide_fresh(self, aws: AwsThreads) -> None:
        """One usage call on each driven connection the stored readings left undecided."""
        for cid, (connection, meta) in list(self._undecided.items()):
            try:
                client = await aws.call(self._deps.open_client, connection)
            except Exception as error:  # the secret: names the field, no value
                self.decisions[cid] = (False, f"cannot read its usage: {error}")
                del self._undecided[cid]
                continue
            try:
                reading = await fresh_reading(client, prefer_headers=False)
                self.decisions[cid] = window_recovered(connection, meta, reading, self._now())
            except DailyLimitExhausted as error:
                self.decisions[cid] = (False, f"the platform refuses calls ({error.message})")
            except Exception as error:
                self.decisions[cid] = (False, f"cannot read its usage: {error}")
            finally:
                self.calls[cid] = client.http.calls_made
                del self._undecided[cid]

    def waiting_for(self, row: JournalRow) -> str | None:
        """Why `row` must wait for a driven connection; None when all have recovered (or
        are undecided yet: `decide_fresh` settles those)."""
        reasons = [
            f"{cid}: {self.decisions[cid][1]}"
            for cid in row.drives
            if cid in self.decisions and not self.decisions[cid][0]
        ]
        return f"waits for what it drives: {'; '.join(reasons)}" if reasons else None

    def _their_meta(self, connection: Connection) -> IncidentMeta:
        """The driven connection's own open incident (its reset, its trip), else the brake
        of this incident as the moment its drive stopped."""
        journal = self._deps.journal
        open_id = journal.open_incident_id(connection.connection_id)
        own = journal.meta(open_id) if open_id else None
        if own is not None:
            return own
        return IncidentMeta(
            incident_id=self._meta.incident_id,
            connection_id=connection.connection_id,
            platform=connection.platform,
            opened_at=self._meta.opened_at,
        )

    def _now(self) -> datetime:
        return self._deps.now()
