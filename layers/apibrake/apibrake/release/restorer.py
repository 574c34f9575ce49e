"""Restore: return each automation an incident changed to its journalled state, and verify.

Anything a person changed since the brake is reported, never overwritten. A partial
release resumes on the next run; the incident closes once every row is settled.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from apibrake.brake.adapters import ADAPTERS
from apibrake.brake.adapters.base import AdapterRun, Observed
from apibrake.brake.alerts import summary_alert
from apibrake.brake.deps import IncidentDeps, fresh_reading, publish_safely
from apibrake.brake.responder import LEASE
from apibrake.brake.rows import release_row
from apibrake.deadline import Deadline
from apibrake.http.errors import DailyLimitExhausted, PlatformError
from apibrake.models.allowlist import AutomationKind
from apibrake.models.connection import Connection
from apibrake.models.events import ReleaseEvent, ReleaseRecoveredEvent
from apibrake.models.reports import AutomationRow, ConnectionFailure, IncidentReport
from apibrake.release.driven import DrivenWindows
from apibrake.release.rearm import rearm_brake
from apibrake.release.recovery import (
    STORED_READING_MAX_AGE,
    recovery_from_stored,
    window_recovered,
)
from apibrake.store.journal import (
    CHANGED_STATES,
    SETTLED_RELEASE,
    IncidentMeta,
    JournalRow,
    ReleaseState,
)
from apibrake.warn.publisher import Alert

logger = logging.getLogger(__name__)


@dataclass
class _Outcome:
    incident_id: str
    connection_id: str = ""
    rows: list[AutomationRow] = field(default_factory=list)
    calls: int = 0
    driven_calls: dict[str, int] = field(default_factory=dict)  # recovery reads elsewhere
    planned_calls: int = 0
    complete: bool = True
    closed: bool = False
    failure: ConnectionFailure | None = None


async def release(request: ReleaseEvent, deps: IncidentDeps, deadline: Deadline) -> IncidentReport:
    outcome = await _safely(request.incident_id, deps, deadline, request.dry_run, request.force)
    return _report(request.incident_id, [outcome], request.dry_run)


async def release_recovered(
    request: ReleaseRecoveredEvent, deps: IncidentDeps, deadline: Deadline
) -> IncidentReport:
    """Every open incident whose window has recovered (the scheduled form)."""
    connections, failures = deps.connections.load(include_disabled=True)
    open_ids = deps.journal.open_incident_ids([c.connection_id for c in connections])
    outcomes = await asyncio.gather(
        *(
            _safely(incident_id, deps, deadline, request.dry_run, force=False)
            for incident_id in open_ids.values()
        )
    )
    run_id = (
        outcomes[0].incident_id if len(outcomes) == 1 else f"release-{deps.now():%Y%m%dT%H%M%SZ}"
    )
    report = _report(run_id, list(outcomes), request.dry_run)
    report.errors = failures + report.errors
    return report


def _report(run_id: str, outcomes: list[_Outcome], dry_run: bool) -> IncidentReport:
    calls = {o.connection_id: o.calls for o in outcomes if o.connection_id}
    for outcome in outcomes:
        for cid, spent in outcome.driven_calls.items():
            calls[cid] = calls.get(cid, 0) + spent
    return IncidentReport(
        incident_id=run_id,
        action="release",
        dry_run=dry_run,
        api_calls=calls,
        planned_calls={o.connection_id: o.planned_calls for o in outcomes} if dry_run else {},
        incidents={o.connection_id: o.incident_id for o in outcomes if o.connection_id},
        rows=[row for o in outcomes for row in o.rows],
        errors=[o.failure for o in outcomes if o.failure],
        complete=all(o.complete for o in outcomes),
    )


async def _safely(
    incident_id: str, deps: IncidentDeps, deadline: Deadline, dry_run: bool, force: bool
) -> _Outcome:
    try:
        return await _IncidentRelease(incident_id, deps, deadline, dry_run, force).run()
    except Exception as error:
        logger.exception("release failed", extra={"incident_id": incident_id})
        return _Outcome(
            incident_id,
            complete=False,
            failure=ConnectionFailure(connection_id=incident_id, error=str(error)),
        )


def _open_rows(rows: list[JournalRow]) -> list[JournalRow]:
    """The rows release still has to settle (rows the brake never changed settle at once)."""
    for row in rows:
        if row.brake not in CHANGED_STATES and row.release is None:
            row.release = ReleaseState.NOTHING
    return [r for r in rows if r.release not in SETTLED_RELEASE]


class _IncidentRelease:
    def __init__(
        self, incident_id: str, deps: IncidentDeps, deadline: Deadline, dry_run: bool, force: bool
    ) -> None:
        self.incident_id = incident_id
        self.deps = deps
        self.deadline = deadline
        self.dry_run = dry_run
        self.force = force
        self.outcome = _Outcome(incident_id)
        self.worked = False  # past the recovery check: something to tell subscribers
        self.recovered_by_stored_data = False
        self.driven: DrivenWindows | None = None  # set once the incident is known
        self.held: dict[int, str] = {}  # id(row) -> why it waits for a driven connection

    def _fail(self, error: str, field: str | None = None) -> _Outcome:
        cid = self.outcome.connection_id or self.incident_id
        self.outcome.failure = ConnectionFailure(connection_id=cid, field=field, error=error)
        return self.outcome

    async def run(self) -> _Outcome:
        journal = self.deps.journal
        meta = journal.meta(self.incident_id)
        if meta is None:
            return self._fail(f"no incident {self.incident_id}", "incident_id")
        self.outcome.connection_id = meta.connection_id
        rows = journal.rows(self.incident_id)
        if meta.status == "closed":
            self.outcome.rows = [release_row(r) for r in rows]
            self.outcome.closed = True
            return self.outcome
        connection = self.deps.connections.get(meta.connection_id)
        if connection is None:
            return self._fail(f"connection {meta.connection_id} no longer exists", "connection_id")
        now = self.deps.now()
        waiting = None if self.force else self._waiting_by_stored_data(connection, meta, rows)
        if waiting is not None:  # not recovered: no lease, no client, no platform call
            self.outcome.rows = [release_row(r) for r in rows]
            return self._fail(f"not released yet: {waiting}")
        self.driven = DrivenWindows(self.deps, meta)
        if not self.force and self._hold_driving_rows(_open_rows(rows)) == "all":
            self.outcome.rows = self._rows(rows)
            return self._fail(f"not released yet: {self._held_reasons()}")
        if not self.dry_run and not journal.acquire_lease(
            self.incident_id, self.deps.owner, now=now, until=now + LEASE
        ):
            self.outcome.rows = [release_row(r) for r in rows]
            return self._fail("another invocation is working on this incident; nothing done")
        try:
            client = self.deps.open_client(connection)
        except Exception as error:
            self._unlease()
            return self._fail(str(error), "secret_id")
        try:
            await self._release(client, connection, meta, rows)
        finally:
            self.outcome.calls = client.http.calls_made
            self.outcome.driven_calls = dict(self.driven.calls)
            if not self.dry_run:
                spent = self.outcome.calls + sum(self.outcome.driven_calls.values())
                meta.api_calls["release"] = meta.api_calls.get("release", 0) + spent
                journal.save_meta(meta)
                self._close_if_settled(meta)
                self._unlease()
        return self.outcome

    def _waiting_by_stored_data(
        self, connection: Connection, meta: IncidentMeta, rows: list[JournalRow]
    ) -> str | None:
        """Why the window has not recovered, if stored data already says so; else None."""
        if not _open_rows(rows):
            return None
        now = self.deps.now()
        state = self.deps.state
        readings = (
            state.readings_since(connection.connection_id, now - STORED_READING_MAX_AGE)
            if state is not None
            else []
        )
        decision = recovery_from_stored(connection, meta, readings, now)
        if decision is None or decision[0]:
            self.recovered_by_stored_data = decision is not None
            return None
        return decision[1]

    def _hold_driving_rows(self, open_rows: list[JournalRow]) -> str:
        """Holds back the rows that drive a connection not recovered yet; "all", "some" or
        "none" of `open_rows` are held."""
        assert self.driven is not None
        self.driven.decide_from_stored({cid for row in open_rows for cid in row.drives})
        for row in open_rows:
            why = self.driven.waiting_for(row)
            if why is not None:
                self.held[id(row)] = why
        held = sum(1 for row in open_rows if id(row) in self.held)
        return "none" if not held else "all" if held == len(open_rows) else "some"

    def _held_reasons(self) -> str:
        return "; ".join(dict.fromkeys(self.held.values()))

    def _rows(self, rows: list[JournalRow], acting: set[int] | None = None) -> list[AutomationRow]:
        """Report rows; a held row says what it waits for."""
        report = []
        for row in rows:
            line = release_row(row, would_release=acting is not None and id(row) in acting)
            if id(row) in self.held:
                line = line.model_copy(update={"error": f"not released yet: {self.held[id(row)]}"})
            report.append(line)
        return report

    def _unlease(self) -> None:
        if not self.dry_run:
            self.deps.journal.release_lease(self.incident_id, self.deps.owner)

    async def _release(
        self, client: object, connection: Connection, meta: IncidentMeta, rows: list[JournalRow]
    ) -> None:
        open_rows = _open_rows(rows)
        if not open_rows:
            self.outcome.rows = [release_row(r) for r in rows]
            self._journal(rows)
            return
        if not self.force and not self.recovered_by_stored_data:
            try:
                reading = await fresh_reading(client, prefer_headers=False)
            except DailyLimitExhausted as error:
                self.outcome.rows = [release_row(r) for r in rows]
                self._fail(f"not released: the platform refuses calls ({error.message})")
                return
            recovered, why = window_recovered(connection, meta, reading, self.deps.now())
            if not recovered:
                self.outcome.rows = [release_row(r) for r in rows]
                self.outcome.failure = ConnectionFailure(
                    connection_id=connection.connection_id, error=f"not released yet: {why}"
                )
                return
        if not self.force:
            assert self.driven is not None
            await self.driven.decide_fresh()
            if self._hold_driving_rows(open_rows) == "all":
                self.outcome.rows = self._rows(rows)
                self._fail(f"not released yet: {self._held_reasons()}")
                return
            open_rows = [r for r in open_rows if id(r) not in self.held]
        self.worked = True
        groups: dict[AutomationKind, list[JournalRow]] = {}
        for row in open_rows:
            groups.setdefault(row.kind, []).append(row)
        looks = await asyncio.gather(
            *(ADAPTERS[k].observe(client, [r.name for r in g]) for k, g in groups.items()),
            return_exceptions=True,
        )
        act: dict[AutomationKind, tuple[list[JournalRow], dict[str, Observed]]] = {}
        for (kind, group), look in zip(groups.items(), looks, strict=True):
            if isinstance(look, DailyLimitExhausted):
                self._fail(f"not released: the platform refuses calls ({look.message})")
                self.outcome.rows = [release_row(r) for r in rows]
                return
            adapter = ADAPTERS[kind]
            for row in group:
                if isinstance(look, BaseException):
                    row.release, row.release_error = ReleaseState.FAILED, f"re-read failed: {look}"
                    continue
                decision = adapter.decide_release(row, look.get(row.name))
                if decision.state is None:
                    act.setdefault(kind, ([], look))[0].append(row)
                else:
                    row.release, row.release_error = decision.state, decision.error
        acting = {id(r) for rows_, _ in act.values() for r in rows_}
        self.outcome.planned_calls = sum(
            ADAPTERS[k].release_calls(len(rows_)) for k, (rows_, _) in act.items()
        )
        if self.held:
            self._fail(f"partly released; the rest {self._held_reasons()}")
        if self.dry_run:
            self.outcome.rows = self._rows(rows, acting)
            return
        self._journal([r for r in open_rows if id(r) not in acting])
        await self._act_and_verify(client, act)
        self._journal(open_rows)
        self.outcome.rows = self._rows(rows)

    async def _act_and_verify(
        self,
        client: object,
        act: dict[AutomationKind, tuple[list[JournalRow], dict[str, Observed]]],
    ) -> None:
        runs = {
            kind: AdapterRun(
                client,
                self.deadline,
                self._journal,
                observed=observed,
                concurrency=self.deps.concurrency,
            )
            for kind, (_, observed) in act.items()
        }
        results = await asyncio.gather(
            *(ADAPTERS[k].release(runs[k], rows_) for k, (rows_, _) in act.items()),
            return_exceptions=True,
        )
        for (kind, (rows_, _)), result in zip(act.items(), results, strict=True):
            if runs[kind].stopped:
                self.outcome.complete = False
            if isinstance(result, BaseException) and not isinstance(result, PlatformError):
                raise result
            if isinstance(result, PlatformError):
                for row in rows_:
                    if row.release is ReleaseState.PENDING and row not in runs[kind].stopped:
                        row.release, row.release_error = ReleaseState.FAILED, str(result)
        checks = {
            k: [r for r in rows_ if r.release is ReleaseState.RELEASED]
            for k, (rows_, _) in act.items()
        }
        checks = {k: v for k, v in checks.items() if v}
        if not checks or not self.deadline.has_time():
            return
        looks = await asyncio.gather(
            *(ADAPTERS[k].observe(client, [r.name for r in v]) for k, v in checks.items()),
            return_exceptions=True,
        )
        for (kind, rows_), look in zip(checks.items(), looks, strict=True):
            for row in rows_:
                if isinstance(look, BaseException):
                    row.release_error = f"restored, but the verification re-read failed: {look}"
                else:
                    ADAPTERS[kind].confirm_release(row, look.get(row.name))

    def _rearm(self, connection_id: str) -> None:
        """The incident is over: usage climbing past the brake again is a new one. A claim
        left behind only delays the next auto-brake, so a failure here is logged."""
        if self.deps.state is None:
            return
        try:
            rearm_brake(self.deps.state, connection_id)
        except Exception:
            logger.exception("brake not re-armed", extra={"connection_id": connection_id})

    def _publish(self, alert: Alert) -> None:
        """A summary that cannot go out is reported; the restore itself stands."""
        problem = publish_safely(self.deps, alert)
        if problem is not None and self.outcome.failure is None:
            cid = self.outcome.connection_id or self.incident_id
            self.outcome.failure = ConnectionFailure(
                connection_id=cid, field="alert_topic", error=problem
            )

    def _journal(self, rows: list[JournalRow]) -> None:
        if rows and not self.dry_run:
            self.deps.journal.put_rows(self.incident_id, rows)

    def _close_if_settled(self, meta: IncidentMeta) -> None:
        rows = self.deps.journal.rows(self.incident_id)
        settled = all(r.release in SETTLED_RELEASE or r.brake not in CHANGED_STATES for r in rows)
        if settled and self.outcome.failure is None:
            self.deps.journal.close(meta, now=self.deps.now())
            self.outcome.closed = True
            self._rearm(meta.connection_id)
        if self.worked:
            self._publish(
                summary_alert(
                    action="release",
                    incident_id=self.incident_id,
                    connection_id=meta.connection_id,
                    platform=meta.platform.value,
                    rows=self.outcome.rows,
                    calls=self.outcome.calls,
                    dry_run=self.dry_run,
                    complete=self.outcome.complete,
                )
            )
