"""The release's policy: when an incident's automations may go back on, and closing it.

Per incident: wait until the window has recovered (from stored readings when they tell,
spending no platform call), hold back rows that drive a connection still recovering, let
the engine plan, act and verify, then close the incident once every row is settled and
re-arm the connection's auto-brake. Anything a person changed since the brake is
reported, never overwritten; a partial release resumes on the next run. A driver of the
burn that nobody reworked since the brake is held braked until a person fixes it or names
it in `include` (release/hold.py).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from apibrake.aws_threads import AWS_THREADS, AwsThreads
from apibrake.deadline import Deadline
from apibrake.http.errors import DailyLimitExhausted
from apibrake.incident import engine
from apibrake.incident.adapters import Adapter
from apibrake.incident.adapters.base import Observed
from apibrake.incident.deps import IncidentDeps, find_suspects
from apibrake.incident.lifecycle import nothing_left_to_release, still_open
from apibrake.incident.outcome import ConnectionOutcome, incident_report
from apibrake.incident.readings import fresh_reading
from apibrake.incident.records import (
    SETTLED_RELEASE,
    Direction,
    IncidentMeta,
    JournalRow,
    Outcome,
    ReleaseState,
)
from apibrake.incident.report_rows import release_row
from apibrake.incident.work import IncidentWork
from apibrake.models.connection import Connection
from apibrake.models.events import ReleaseEvent, ReleaseRecoveredEvent
from apibrake.models.reports import AutomationRow, FailureCode, IncidentReport
from apibrake.models.usage import UsageReading
from apibrake.release.driven import DrivenWindows
from apibrake.release.freeze_watch import FreezeWatch
from apibrake.release.hold import HoldPolicy, remember_released_unchanged
from apibrake.release.rearm import rearm_brake
from apibrake.release.recovery import recovery_from_stored, window_recovered
from apibrake.warn.incident_alerts import summary_alert

if TYPE_CHECKING:
    from apibrake.platforms.client import PlatformClient

logger = logging.getLogger(__name__)
# Platform calls the release may spend on who burned the calls since the brake: the same
# budget an alert has (issue 12), out of a window that has recovered by then.
SUSPECTS_CALLS = 2

# Held rows wait for a person to rework them; re-reading them costs a call each run.
HELD_RECHECK_MINUTES = 60
HELD_RECHECK = timedelta(minutes=HELD_RECHECK_MINUTES)


async def release(request: ReleaseEvent, deps: IncidentDeps, deadline: Deadline) -> IncidentReport:
    with AwsThreads(min(deps.concurrency, AWS_THREADS)) as aws:
        work = _IncidentRelease(
            request.incident_id, deps, aws, deadline, request.dry_run, request.force
        )
        work.only = set(request.only) if request.only else None
        work.include = frozenset(request.include or ())
        outcome = await work.safely()
    return incident_report("release", request.incident_id, [outcome], dry_run=request.dry_run)


async def release_recovered(
    request: ReleaseRecoveredEvent, deps: IncidentDeps, deadline: Deadline
) -> IncidentReport:
    """Every open incident whose window has recovered (the scheduled form)."""
    with AwsThreads(min(deps.concurrency, AWS_THREADS)) as aws:
        connections, failures = await aws.call(deps.connections.load, include_disabled=True)
        open_ids = await aws.call(
            deps.journal.open_incident_ids, [c.connection_id for c in connections]
        )
        outcomes = await asyncio.gather(
            *(
                _IncidentRelease(incident_id, deps, aws, deadline, request.dry_run, False).safely()
                for incident_id in open_ids.values()
            )
        )
    run_id = (
        str(outcomes[0].incident_id)
        if len(outcomes) == 1
        else f"release-{deps.now():%Y%m%dT%H%M%SZ}"
    )
    return incident_report("release", run_id, outcomes, dry_run=request.dry_run, failures=failures)


class _IncidentRelease(IncidentWork):
    action = "release"

    def __init__(
        self,
        incident_id: str,
        deps: IncidentDeps,
        aws: AwsThreads,
        deadline: Deadline,
        dry_run: bool,
        force: bool,
    ) -> None:
        outcome = ConnectionOutcome("", incident_id=incident_id)
        super().__init__(deps, aws, deadline, outcome, dry_run=dry_run)
        self.incident_id = incident_id
        self.force = force
        self.worked = False  # past the recovery check: something to tell subscribers
        self.recovered_by_stored_data = False
        self.rearm = True  # closing the incident lets the monitor brake and alert again
        self.driven: DrivenWindows | None = None  # set once the incident is known
        # allowlist key -> why its row waits for a driven connection
        self.awaiting_driven: dict[str, str] = {}
        self.waiting: str | None = None  # why nothing is released yet
        self.only: set[str] | None = None  # release only these keys' rows (a rehearsal)
        self.include: frozenset[str] = frozenset()  # held rows a person releases explicitly
        self.hold: HoldPolicy | None = None  # set once the incident is known
        # Every open row was held before this run and still is: nothing new to tell.
        self.same_holds = False
        self.readings: list[UsageReading] = []  # the stored readings the recovery gate read

    async def run(self) -> ConnectionOutcome:
        journal = self.deps.journal
        meta = await self.off_loop(journal.meta, self.incident_id)
        if meta is None:
            return self.fail(
                FailureCode.NOT_FOUND, f"no incident {self.incident_id}", "incident_id"
            )
        self.outcome.connection_id = meta.connection_id
        self.outcome.suspects_before = meta.suspects_before
        self.outcome.suspects_after = meta.suspects_after
        rows = await self.off_loop(self.lifecycle.journalled, self.incident_id)
        self.outcome.rows = self._rows(rows)
        if meta.status == "closed":
            return self.outcome
        connection = await self.off_loop(self.deps.connections.get, meta.connection_id)
        if connection is None:
            message = f"connection {meta.connection_id} no longer exists"
            return self.fail(FailureCode.NOT_FOUND, message, "connection_id")
        self.driven = DrivenWindows(self.deps, meta)
        self.hold = HoldPolicy.for_incident(meta, self.include)
        if self.force:
            self.rearm = await self.off_loop(self._window_over, connection, meta)
        if not self.force and not await self.off_loop(self._may_start, connection, meta, rows):
            self.outcome.rows = self._rows(rows)
            await self._watch_freezes(connection, meta, rows)
            return self.fail(FailureCode.NOT_RECOVERED, f"not released yet: {self.waiting}")
        if not self.dry_run and not await self.off_loop(
            self.lifecycle.take_lease, self.incident_id
        ):
            message = "another invocation is working on this incident; nothing done"
            return self.fail(FailureCode.BUSY, message)
        client = await self.open_client(connection)
        if client is None:
            await self._unlease()
            return self.outcome
        try:
            await self._release(client, connection, meta, rows)
            if self.waiting is not None:  # a fresh reading said "not yet"
                await self._watch_freezes(connection, meta, rows, client)
        finally:
            self.outcome.calls = client.http.calls_made
            self.outcome.other_calls = dict(self.driven.calls)
            if not self.dry_run:
                await self.off_loop(self._finish, meta)
        return self.outcome

    # The recovery gate ---------------------------------------------------------------------

    def _window_over(self, connection: Connection, meta: IncidentMeta) -> bool:
        """A forced release while usage is still over the threshold ends the incident, not
        its window: the brake's claims stay until the window ends, so the monitor neither
        alerts "brake threshold reached" a second time nor brakes again over the operator.
        A climb past 100 % still alerts (limit exhausted). Blocking (DynamoDB reads)."""
        readings = self.deps.recent_readings(connection.connection_id)
        decision = recovery_from_stored(connection, meta, readings, self.deps.now())
        return decision is None or decision[0]

    def _may_start(
        self, connection: Connection, meta: IncidentMeta, rows: list[JournalRow]
    ) -> bool:
        """False when stored data already says the window (or every driven one) has not
        recovered: no lease, no client, no platform call. Blocking (DynamoDB reads)."""
        open_rows = still_open(Direction.RELEASE, rows)
        if not open_rows:
            return True
        if self._held_checked_lately(meta, open_rows):
            self.waiting = (
                "every open row is held (an unchanged driver of the burn); they are re-read "
                f"for a rework at most every {HELD_RECHECK_MINUTES} min, or release one by name"
            )
            return False
        readings = self.readings = self.deps.recent_readings(connection.connection_id)
        decision = recovery_from_stored(connection, meta, readings, self.deps.now())
        self.recovered_by_stored_data = decision is not None and decision[0]
        if decision is not None and not decision[0]:
            self.waiting = decision[1]
            return False
        if self._wait_for_driven(open_rows) == "all":
            self.waiting = self._awaiting_reasons()
            return False
        return True

    async def _recovered_now(
        self,
        client: PlatformClient,
        connection: Connection,
        meta: IncidentMeta,
        open_rows: list[JournalRow],
    ) -> bool:
        """The fresh checks stored data could not settle: one usage call on this connection
        and one on each undecided driven connection."""
        if not self.recovered_by_stored_data:
            try:
                reading = await fresh_reading(client, prefer_headers=False)
            except DailyLimitExhausted as error:
                message = f"not released: the platform refuses calls ({error.message})"
                self.fail(FailureCode.LIMIT_EXHAUSTED, message)
                return False
            recovered, why = window_recovered(connection, meta, reading, self.deps.now())
            if not recovered:
                self.waiting = why
                self.fail(FailureCode.NOT_RECOVERED, f"not released yet: {why}")
                return False
        assert self.driven is not None
        await self.driven.decide_fresh(self.aws)
        if await self.off_loop(self._wait_for_driven, open_rows) == "all":
            self.waiting = self._awaiting_reasons()
            self.fail(FailureCode.NOT_RECOVERED, f"not released yet: {self.waiting}")
            return False
        return True

    def _wait_for_driven(self, open_rows: list[JournalRow]) -> str:
        """Holds back the rows that drive a connection not recovered yet; "all", "some" or
        "none" of `open_rows` are held. Blocking (DynamoDB reads)."""
        assert self.driven is not None
        self.driven.decide_from_stored({cid for row in open_rows for cid in row.drives})
        for row in open_rows:
            why = self.driven.waiting_for(row)
            if why is not None:
                self.awaiting_driven[row.automation] = why
        held = sum(1 for row in open_rows if row.automation in self.awaiting_driven)
        return "none" if not held else "all" if held == len(open_rows) else "some"

    def _awaiting_reasons(self) -> str:
        return "; ".join(dict.fromkeys(self.awaiting_driven.values()))

    async def _watch_freezes(
        self,
        connection: Connection,
        meta: IncidentMeta,
        rows: list[JournalRow],
        client: PlatformClient | None = None,
    ) -> None:
        """While the incident waits: does a user its brake froze still spend calls
        (release/freeze_watch.py)? The client is opened only when a call is due; a dry run
        or a forced release never looks."""
        if self.dry_run or self.force or not self.deadline.has_time():
            return
        opened: Any = client

        async def the_client() -> Any:
            nonlocal opened
            if opened is None:
                opened = await self.open_client(connection)
            return opened

        await FreezeWatch(self.deps, self.off_loop, meta, rows).safely(the_client, self.readings)
        if client is None and opened is not None:
            self.outcome.calls = opened.http.calls_made

    # Plan, act, verify -----------------------------------------------------------------------

    async def _release(
        self,
        client: PlatformClient,
        connection: Connection,
        meta: IncidentMeta,
        rows: list[JournalRow],
    ) -> None:
        open_rows = [
            row
            for row in still_open(Direction.RELEASE, rows)
            if self.only is None or row.automation in self.only
        ]
        if not open_rows:
            await self.journal(rows)  # settled just now as "nothing to restore"
        acting = await self._release_open_rows(client, connection, meta, open_rows)
        self.outcome.rows = self._rows(rows, acting)

    async def _release_open_rows(
        self,
        client: PlatformClient,
        connection: Connection,
        meta: IncidentMeta,
        open_rows: list[JournalRow],
    ) -> set[str] | None:
        """Plans, acts and verifies; returns the rows a dry run would act on."""
        if not open_rows:
            return None
        if not self.force and not await self._recovered_now(client, connection, meta, open_rows):
            return None
        open_rows = [r for r in open_rows if r.automation not in self.awaiting_driven]
        self.worked = True
        work = await self._plan(client, connection, meta, open_rows)
        if work.exhausted is not None:
            message = f"not released: the platform refuses calls ({work.exhausted.message})"
            self.fail(FailureCode.LIMIT_EXHAUSTED, message)
            return None
        self.outcome.planned_calls = work.calls
        if self.awaiting_driven:
            self.fail(
                FailureCode.NOT_RECOVERED, f"partly released; the rest {self._awaiting_reasons()}"
            )
        if self.dry_run:
            return {row.automation for row in work.acting}
        await self._act(client, work)
        await self.journal(open_rows)
        await self._remember_released_unchanged(meta)
        return None

    async def _plan(
        self,
        client: PlatformClient,
        connection: Connection,
        meta: IncidentMeta,
        open_rows: list[JournalRow],
    ) -> engine.Plan:
        """The engine's plan, with who burned the calls since the brake asked beside its
        reads and answered before anything is put back (so the release's own changes are
        not among the suspects). Asked once: a run that finds only the same held rows again
        spends no calls on it."""
        held_before = all(r.release is ReleaseState.HELD for r in open_rows)
        ask = not held_before or meta.suspects_after is None
        suspects = (
            asyncio.ensure_future(self._suspects_since_the_brake(client, connection, meta))
            if ask
            else None
        )
        work = await engine.plan(Direction.RELEASE, client, open_rows, self._decide)
        if suspects is not None:
            await suspects
        self.same_holds = held_before and all(r.release is ReleaseState.HELD for r in open_rows)
        return work

    async def _act(self, client: PlatformClient, work: engine.Plan) -> None:
        """Changes and verifies; rows the platform's refusal left pending failed."""
        execution = await self.act_and_verify(client, work)
        if execution.exhausted is not None:
            why = f"the platform refuses calls ({execution.exhausted.message})"
            for row in execution.stuck:
                row.record(Direction.RELEASE, Outcome.FAILED, error=str(execution.exhausted))
            self.fail(FailureCode.LIMIT_EXHAUSTED, f"not released: {why}")

    async def _remember_released_unchanged(self, meta: IncidentMeta) -> None:
        """Drivers a person released unchanged (`include`): a new burn they drive within days
        is told as such by the monitor's alert."""
        assert self.hold is not None
        released = [r for r in self.hold.released_unchanged if r.release is ReleaseState.RELEASED]
        if not released or self.deps.state is None:
            return
        try:
            await self.off_loop(
                remember_released_unchanged, self.deps.state, meta, released, self.deps.now()
            )
        except Exception:  # only the later alert's note is lost; the release stands
            logger.exception(
                "released drivers not remembered", extra={"incident": meta.incident_id}
            )

    async def _suspects_since_the_brake(
        self, client: PlatformClient, connection: Connection, meta: IncidentMeta
    ) -> None:
        """Who burned the calls since the brake, asked once the window has recovered and
        before anything is put back (so the release's own changes are not among them)."""
        after = await find_suspects(
            self.deps, connection, client, since=meta.opened_at, calls=SUSPECTS_CALLS
        )
        self.outcome.suspects_after = after or meta.suspects_after
        meta.suspects_after = self.outcome.suspects_after

    def _decide(self, adapter: Adapter[Any], row: JournalRow, observed: Observed | None) -> bool:
        """A row the engine's resume rule would restore: held instead when it is an
        unchanged driver of the burn (release/hold.py)."""
        if self.hold is None:
            return True
        decision = self.hold.decide(adapter, row, observed)
        if decision.state is not None:
            row.release, row.release_error = decision.state, decision.error
        return decision.state is None

    def _rows(self, rows: list[JournalRow], acting: set[str] | None = None) -> list[AutomationRow]:
        """Report rows; a row that waits says what for."""
        report = []
        for row in rows:
            line = release_row(row, would_release=acting is not None and row.automation in acting)
            why = self.awaiting_driven.get(row.automation) or (
                self.waiting
                if row.release not in SETTLED_RELEASE and row.release is not ReleaseState.HELD
                else None
            )
            if why is not None:
                line = line.model_copy(update={"error": f"not released yet: {why}"})
            report.append(line)
        return report

    # Closing ---------------------------------------------------------------------------------

    async def _unlease(self) -> None:
        if not self.dry_run:
            await self.off_loop(self.lifecycle.drop_lease, self.incident_id)

    def _held_checked_lately(self, meta: IncidentMeta, open_rows: list[JournalRow]) -> bool:
        """Rows held and nothing else open, re-read less than HELD_RECHECK_MINUTES ago: no
        call now (a rework waits for a person, and each re-read costs one)."""
        if self.force or self.include:
            return False
        if not all(row.release is ReleaseState.HELD for row in open_rows):
            return False
        last = meta.held_checked_at
        return last is not None and self.deps.now() - last < HELD_RECHECK

    def _finish(self, meta: IncidentMeta) -> None:
        """Records the calls spent, closes the incident once every row is settled (and
        re-arms the connection's auto-brake), tells subscribers; the lease is freed."""
        spent = self.outcome.calls + sum(self.outcome.other_calls.values())
        if self.worked and not self.dry_run:
            meta.held_checked_at = self.deps.now()
        closes = self.outcome.failure is None
        closed = self.lifecycle.finish(
            meta, calls=spent, closes=lambda rows: closes and nothing_left_to_release(rows)
        )
        if closed and self.rearm:
            self._rearm(meta.connection_id)
        if self.worked and not self.same_holds:
            self._publish_summary(meta)

    def _publish_summary(self, meta: IncidentMeta) -> None:
        self.publish(
            summary_alert(
                action="release",
                incident_id=self.incident_id,
                connection_id=meta.connection_id,
                platform=meta.platform.value,
                rows=self.outcome.rows,
                calls=self.outcome.calls,
                dry_run=self.dry_run,
                complete=self.outcome.complete,
                before=self.outcome.suspects_before,
                after=self.outcome.suspects_after,
                now=self.deps.now(),
                braked_at=meta.opened_at,
            )
        )
        self.announce_needs_human(self.outcome.rows, self.incident_id)

    def _rearm(self, connection_id: str) -> None:
        """The incident is over: usage climbing past the brake again is a new one. A claim
        left behind only delays the next auto-brake, so a failure here is logged."""
        if self.deps.state is None:
            return
        try:
            rearm_brake(self.deps.state, connection_id)
        except Exception:
            logger.exception("brake not re-armed", extra={"connection_id": connection_id})
