"""The brake's policy: which automations of which connections, and what to tell people.

Per connection: vet the allowlist, open (or resume) the connection's one incident, let the
engine plan, keep the reserve (trim what the remaining calls cannot pay for), let the
engine act and verify, and send the rows the platform refused to a human. Connections are
braked concurrently (a bounded number at once), with the connections whose automations
drive them (`drives`) braked in their own incidents.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from apibrake.aws_threads import AWS_THREADS, AwsThreads
from apibrake.brake import break_glass, shadow
from apibrake.brake.drives import LinkedBrake, linked_brakes
from apibrake.deadline import Deadline
from apibrake.http.errors import DailyLimitExhausted
from apibrake.incident import engine
from apibrake.incident.adapters import ADAPTERS, Adapter
from apibrake.incident.adapters.base import Observed
from apibrake.incident.deps import IncidentDeps, find_suspects
from apibrake.incident.lifecycle import resumes_brake, still_open
from apibrake.incident.outcome import ConnectionOutcome, incident_report
from apibrake.incident.readings import current_reset, fresh_reading
from apibrake.incident.records import (
    CHANGED_STATES,
    BrakeState,
    Direction,
    IncidentMeta,
    JournalRow,
)
from apibrake.incident.report_rows import brake_row
from apibrake.incident.work import IncidentWork
from apibrake.models.allowlist import AllowlistEntry
from apibrake.models.attribution import Suspects
from apibrake.models.connection import Connection
from apibrake.models.events import BrakeEvent
from apibrake.models.reports import AutomationRow, FailureCode, IncidentReport, RowStatus
from apibrake.store.allowlist import InvalidEntry
from apibrake.warn.incident_alerts import human_must_act, summary_alert
from apibrake.warn.rules import AUTO_BRAKE_KEY, MONITOR_REQUESTER

if TYPE_CHECKING:
    from apibrake.platforms.client import PlatformClient

# Connections braked at once: each holds platform connections and journal calls in flight.
CONNECTIONS_AT_ONCE = 25
# A brake nobody told who burned the calls (a person's, a linked one) asks the attribution
# sources about this window, from data already collected only: the brake spends no call on it.
SUSPECTS_LOOKBACK = timedelta(hours=2)

logger = logging.getLogger(__name__)


def incident_id_for(connection_id: str, deps: IncidentDeps) -> str:
    return f"{connection_id}-{deps.now():%Y%m%dT%H%M%SZ}"


async def brake(request: BrakeEvent, deps: IncidentDeps, deadline: Deadline) -> IncidentReport:
    with AwsThreads(min(deps.concurrency, AWS_THREADS)) as aws:
        every, every_failures = await aws.call(deps.connections.load, include_disabled=True)
        if request.connection_id:
            connections, failures = await aws.call(deps.connections.load, [request.connection_id])
        else:
            connections, failures = [c for c in every if c.enabled], every_failures
        known = frozenset(c.connection_id for c in every)
        # Automations of other connections that drive these: braked in their own incidents.
        # A restricted brake (`only`, a rehearsal) brakes what it names and nothing else.
        braking = [c.connection_id for c in connections]
        links = [] if request.only else await linked_brakes(deps, aws, braking, every, request.tier)
        gate = asyncio.Semaphore(CONNECTIONS_AT_ONCE)

        async def bounded(
            connection: Connection, asked: BrakeEvent, linked: list[AllowlistEntry] | None = None
        ) -> ConnectionOutcome:
            async with gate:
                work = _ConnectionBrake(connection, asked, deps, aws, deadline, known, linked)
                return await work.safely()

        outcomes = await asyncio.gather(
            *(bounded(connection, request) for connection in connections),
            *(
                bounded(link.connection, _linked_request(request, link), link.entries)
                for link in links
            ),
        )
    return incident_report(
        "brake",
        _run_id(request, deps.now(), outcomes),
        outcomes,
        dry_run=request.dry_run,
        failures=failures,
    )


def _run_id(request: BrakeEvent, now: datetime, outcomes: list[ConnectionOutcome]) -> str:
    """The incident the request asked for, the only one opened, else the run's own id."""
    incidents = {o.connection_id: o.incident_id for o in outcomes if o.incident_id}
    if request.connection_id in incidents:
        return str(incidents[request.connection_id])
    if len(incidents) == 1:
        return str(next(iter(incidents.values())))
    return f"{'dry-run' if request.dry_run else 'brake'}-{now:%Y%m%dT%H%M%SZ}"


def _linked_request(request: BrakeEvent, link: LinkedBrake) -> BrakeEvent:
    return request.model_copy(
        update={
            "connection_id": link.connection.connection_id,
            "reason": f"{link.reason}; {request.reason}".strip("; "),
            "suspects": None,  # the monitor's suspects are the braked connection's own
        }
    )


class _ConnectionBrake(IncidentWork):
    action = "brake"

    def __init__(
        self,
        connection: Connection,
        request: BrakeEvent,
        deps: IncidentDeps,
        aws: AwsThreads,
        deadline: Deadline,
        known: frozenset[str],
        linked: list[AllowlistEntry] | None = None,
    ) -> None:
        super().__init__(
            deps,
            aws,
            deadline,
            ConnectionOutcome(connection.connection_id),
            dry_run=request.dry_run,
        )
        self.connection = connection
        self.cid = connection.connection_id
        self.request = request
        self.known = known  # every connection id: `drives` may only name these
        # A linked brake: only these entries (they drive a connection braked now).
        self.linked = linked
        self.unknown_drives: dict[str, list[str]] = {}  # automation -> unknown ids
        self.entries: dict[str, AllowlistEntry] = {}  # allowlist key -> its entry
        self.resumed: set[str] = set()  # keys of rows an earlier invocation journalled
        self.meta: IncidentMeta | None = None
        self.planned: list[JournalRow] = []  # the rows the plan looked at (shadow journals them)
        self.worked = False  # this invocation looked at or changed something
        self.refused = False  # a restricted brake named what it may not touch

    async def run(self) -> ConnectionOutcome:
        entries, invalid_rows = await self.off_loop(self._allowlist)
        self.outcome.rows += invalid_rows
        if self.refused:
            return self.outcome
        client = await self.open_client(self.connection)
        if client is None:
            return self.outcome
        if not self.dry_run and not await self.off_loop(self._open_incident):
            return self.outcome
        # Who burned the calls is read beside the brake, never ahead of it.
        suspects = asyncio.ensure_future(self._suspects_before(client))
        try:  # from here on the lease is ours: _finish gives it back, whatever happens
            existing: dict[str, JournalRow] = {}
            if self.meta is not None:
                journalled = await self.off_loop(self.lifecycle.journalled, self.meta.incident_id)
                existing = {row.automation: row for row in journalled}
            rows = await self._brake(client, entries, existing)
        finally:
            self.outcome.suspects_before = await suspects
            self.outcome.calls = client.http.calls_made
            if self.meta is not None:
                await self.off_loop(self._finish)
        self.outcome.rows += [self._note_unknown_drives(row) for row in rows]
        if self.request.shadow:
            await self.off_loop(self._record_shadow)
        else:
            await self.off_loop(self._publish_summary)
        return self.outcome

    # Vetting -----------------------------------------------------------------------------

    def _allowlist(self) -> tuple[list[AllowlistEntry], list[AutomationRow]]:
        invalid: list[InvalidEntry] = []  # a linked brake leaves these to the own brake
        if self.linked is not None:
            entries = self.linked
        else:
            entries, invalid = self.deps.allowlist.for_connection(self.cid)
        if self.request.only is not None:
            return self._only(entries), []
        rows = [
            self._skipped(
                None, bad.automation, f"invalid allowlist entry: {bad.field}: {bad.error}"
            )
            for bad in invalid
        ]
        usable = []
        for entry in sorted(entries, key=lambda e: (e.tier, e.automation)):
            if entry.tier > self.request.tier or entry.canary:
                continue  # a canary waits for a rehearsal that names it
            if ADAPTERS[entry.kind].platform is not self.connection.platform:
                why = (
                    f"kind {entry.kind.value} does not apply to a "
                    f"{self.connection.platform.value} connection"
                )
                rows.append(self._skipped(entry, entry.name, why))
                continue
            refused = self.connection.protected.refusal(entry.automation)
            if refused is not None:  # added before the consumer was protected
                rows.append(self._skipped(entry, entry.name, f"allowlist entry: {refused}"))
                continue
            usable.append(entry)
            unknown = [d for d in entry.drives if d not in self.known]
            if unknown:
                self.unknown_drives[entry.automation] = unknown
        return usable, rows

    def _only(self, entries: list[AllowlistEntry]) -> list[AllowlistEntry]:
        """The entries a restricted brake names, whatever their tier. A name that is not on
        the allowlist (or not of this platform) refuses the whole brake: a brake touches
        allowlisted automations only, and half a rehearsal proves nothing."""
        named = set(self.request.only or ())
        usable = [e for e in entries if e.automation in named]
        refused = sorted(named - {e.automation for e in usable})
        refused += [
            e.automation
            for e in usable
            if ADAPTERS[e.kind].platform is not self.connection.platform
            # a protected consumer is never braked, named or not
            or self.connection.protected.refusal(e.automation) is not None
        ]
        if refused:
            self.fail(
                FailureCode.INVALID,
                f"only names {', '.join(refused)}, not on the allowlist of {self.cid} for its "
                "platform, or protected: nothing braked",
                "only",
            )
            self.refused = True
            return []
        return sorted(usable, key=lambda e: e.automation)

    def _skipped(self, entry: AllowlistEntry | None, name: str, why: str) -> AutomationRow:
        return AutomationRow(
            platform=self.connection.platform,
            connection_id=self.cid,
            kind=entry.kind if entry else None,
            name=name,
            status=RowStatus.SKIPPED,
            error=why,
        )

    def _note_unknown_drives(self, row: AutomationRow) -> AutomationRow:
        """The entry is still braked; the ids `drives` names that match no connection are
        reported, and neither linked nor waited for."""
        unknown = self.unknown_drives.get(f"{row.kind.value}:{row.name}") if row.kind else None
        if not unknown:
            return row
        note = (
            f"allowlist entry: drives names unknown connection(s) {', '.join(unknown)}: "
            "ignored, fix the entry"
        )
        return row.model_copy(update={"error": f"{row.error}; {note}" if row.error else note})

    async def _suspects_before(self, client: PlatformClient) -> Suspects | None:
        """Who burned the calls before this brake: the journal's (a resumed incident), else
        what the monitor knew when it braked, else collected data (no platform call)."""
        if self.meta is not None and self.meta.suspects_before is not None:
            return self.meta.suspects_before
        told = self.request.suspects
        found = told if told is not None and told.connection_id == self.cid else None
        if found is None:
            since = self.deps.now() - SUSPECTS_LOOKBACK
            found = await find_suspects(self.deps, self.connection, client, since=since, calls=0)
        if self.meta is not None:
            self.meta.suspects_before = found  # saved with the header when the brake ends
        return found

    # The incident ------------------------------------------------------------------------

    def _open_incident(self) -> bool:
        meta = IncidentMeta(
            incident_id=incident_id_for(self.cid, self.deps),
            connection_id=self.cid,
            platform=self.connection.platform,
            opened_at=self.deps.now(),
            reason=self.request.reason,
            requested_by=self.request.requested_by,
            tier=self.request.tier,
            only=self.request.only,
        )
        self.meta = self.lifecycle.open(meta)
        self.outcome.incident_id = self.meta.incident_id
        if self.request.only is not None and self.meta.only != self.request.only:
            # A rehearsal never joins another incident: its forced release would put back
            # that incident's automations too.
            busy, self.meta = self.meta.incident_id, None
            self.fail(
                FailureCode.BUSY,
                f"incident {busy} is open on {self.cid}: a brake restricted to `only` never "
                "joins it; nothing done (release it first)",
            )
            return False
        if self.lifecycle.take_lease(self.meta.incident_id):
            if self.request.only is None and self.meta.only is not None:
                self.meta.only = None  # a real brake joined a rehearsal: a real incident now
            return True
        busy = self.meta.incident_id
        self.meta = None  # someone else holds it: leave it to them
        self._let_the_monitor_try_again()
        self.outcome.rows += [brake_row(r) for r in self.deps.journal.rows(busy)]
        self.fail(
            FailureCode.BUSY,
            f"incident {busy} is being worked on by another invocation; nothing done here",
        )
        self.outcome.complete = False  # not cached: a later trigger does the work
        return False

    def _let_the_monitor_try_again(self) -> None:
        """The automatic brake found the incident held (a rehearsal's brake or release, a
        person's brake): the monitor confirmed its once-a-window claim when it invoked us,
        so give the claim back, or no tick would brake again until the window ends."""
        if self.request.requested_by != MONITOR_REQUESTER or self.deps.state is None:
            return
        try:
            self.deps.state.release_alert_claim(self.cid, AUTO_BRAKE_KEY)
        except Exception:  # the brake's report must still go out
            logger.exception("auto-brake claim not given back", extra={"connection_id": self.cid})

    def _finish(self) -> None:
        assert self.meta is not None
        self.lifecycle.finish(self.meta, calls=self.outcome.calls, closes=self._closes)

    def _closes(self, rows: list[JournalRow]) -> bool:
        """Notes on the header whether every row was looked at; closes the incident when
        so and the brake changed nothing (nothing to release)."""
        assert self.meta is not None
        self.meta.brake_complete = self.outcome.complete and all(
            r.brake is not BrakeState.PENDING for r in rows
        )
        return self.meta.brake_complete and not any(r.brake in CHANGED_STATES for r in rows)

    # Plan, reserve, act ------------------------------------------------------------------

    def _rows(
        self, entries: list[AllowlistEntry], existing: dict[str, JournalRow]
    ) -> tuple[list[JournalRow], list[JournalRow]]:
        """(settled by an earlier invocation, to look at now)."""
        settled, rows = [], []
        open_rows = {row.automation for row in still_open(Direction.BRAKE, list(existing.values()))}
        for entry in entries:
            row = existing.get(entry.automation)
            if row is not None and row.automation not in open_rows:
                settled.append(row)
                continue
            if row is not None and resumes_brake(row):
                self.resumed.add(row.automation)  # its journalled `before` stands
            else:  # new, or its inventory failed last time: nothing journalled worth keeping
                row = self._new_row(entry)
            self.entries[row.automation] = entry
            rows.append(row)
        return settled, rows

    async def _brake(
        self, client: PlatformClient, entries: list[AllowlistEntry], existing: dict[str, JournalRow]
    ) -> list[AutomationRow]:
        settled, rows = self._rows(entries, existing)
        self.worked, self.planned = bool(rows), rows
        work = await engine.plan(
            Direction.BRAKE, client, rows, self._decide, resumed=frozenset(self.resumed)
        )
        if work.exhausted is not None:
            return await self._glass_or_human(client, settled, rows, work.exhausted)
        self.outcome.planned_calls = work.calls
        if self.dry_run:
            if self.request.shadow:
                shadow.mark_planned(rows, work.acting)
            acting = {row.automation for row in work.acting}
            return [brake_row(r) for r in settled] + [
                brake_row(r, would_brake=r.automation in acting) for r in rows
            ]
        if work.calls:
            try:
                await self._keep_reserve(client, work)
            except DailyLimitExhausted as error:
                return await self._glass_or_human(client, settled, rows, error)
        execution = await self.act_and_verify(client, work)
        if execution.exhausted is not None:
            await self.off_loop(self._send_to_human, execution.stuck, execution.exhausted)
        await self.journal(rows)
        return [brake_row(r) for r in settled + rows]

    async def _glass_or_human(
        self,
        client: PlatformClient,
        settled: list[JournalRow],
        rows: list[JournalRow],
        error: DailyLimitExhausted,
    ) -> list[AutomationRow]:
        """REST is refused: what the break-glass channel can brake, it does; the rest goes
        to a person (brake/break_glass.py)."""
        glassed, rows = await break_glass.brake_rows(
            self,
            client,
            rows,
            connection=self.connection,
            entries=self.entries,
            resumed=self.resumed,
        )
        return await self.off_loop(self._exhausted, settled + glassed, rows, error)

    def _decide(self, adapter: Adapter[Any], row: JournalRow, observed: Observed | None) -> bool:
        """A row nothing was journalled for (the engine resumes the others): records what
        the platform shows as its prior state, then vets it."""
        row.before = dict(observed.summary) if observed else None
        protected = adapter.protected_reason(observed, self.connection.protected)
        if protected is not None:
            row.brake, row.error = BrakeState.SKIPPED, protected
            return False
        decision = adapter.decide_brake(self.entries[row.automation], observed)
        if decision.state is not None:
            row.brake, row.error = decision.state, decision.error
        return decision.state is None

    def _new_row(self, entry: AllowlistEntry) -> JournalRow:
        return JournalRow(
            connection_id=self.cid,
            platform=self.connection.platform,
            kind=entry.kind,
            name=entry.name,
            drives=[d for d in entry.drives if d in self.known],
            options=entry.kind_options(),
        )

    async def _keep_reserve(self, client: PlatformClient, work: engine.Plan) -> None:
        """Records the usage the brake ran at and trims the plan to the calls that remain."""
        assert self.meta is not None
        reading = await fresh_reading(client, prefer_headers=True)
        self.meta.trip_percent = round(reading.percent, 2)
        if reading.resets_at is not None:
            self.meta.resets_at = reading.resets_at
        else:  # HubSpot's next reset from the monitor's readings (header readings lack it)
            stored = await self.off_loop(self.deps.recent_readings, self.cid)
            self.meta.resets_at = current_reset(stored, self.deps.now())
        needed = work.calls
        if reading.remaining >= needed or reading.used >= reading.limit:
            # Served at or past the limit: in overage, a paid org's soft limit
            # (docs/platform-notes.md S2): calls go through until the hard cap; a refusal
            # then goes to the break-glass brake.
            return
        why = f"only {reading.remaining} API calls left, the brake needs {needed}"
        cut = work.trim(reading.remaining)  # what the calls allow, in allowlist order
        for row in cut:
            row.brake, row.error = BrakeState.NEEDS_HUMAN, f"{why}: switch it off by hand"
        if cut:
            await self.off_loop(self._alert_human, [brake_row(r) for r in cut], why)

    # A person must act -------------------------------------------------------------------

    def _exhausted(
        self, settled: list[JournalRow], rows: list[JournalRow], error: DailyLimitExhausted
    ) -> list[AutomationRow]:
        self._send_to_human(rows, error)
        if self.meta is not None:
            self.deps.journal.put_rows(self.meta.incident_id, rows)
        return [brake_row(r) for r in settled + rows]

    def _send_to_human(self, rows: list[JournalRow], error: DailyLimitExhausted) -> None:
        why = f"the platform refuses calls ({error.message})"
        for row in rows:
            # A row an earlier run left pending may be off already (it crashed after the
            # change): it stays pending, so release still looks at it.
            if not (row.brake is BrakeState.PENDING and row.automation in self.resumed):
                row.brake = BrakeState.NEEDS_HUMAN
            row.error = f"{why}: switch it off by hand{break_glass.why_not(row)}"
        if rows:
            self.fail(FailureCode.LIMIT_EXHAUSTED, f"{why}: a person must switch automations off")
            if not self.dry_run:
                self._alert_human([brake_row(r) for r in rows], why)

    def _alert_human(self, rows: list[AutomationRow], why: str) -> None:
        self.publish(human_must_act(self.cid, self.connection.platform.value, rows, why))

    def _record_shadow(self) -> None:
        """Shadow mode: the plan goes to the journal as a shadow incident and out as the
        "would have braked" alert; nothing was changed (blocking)."""
        suspects = self.outcome.suspects_before
        incident_id = shadow.record_plan(
            self.deps,
            self.connection,
            self.request,
            self.planned,
            calls=self.outcome.calls,
            suspects=suspects,
        )
        self.outcome.incident_id = incident_id
        alert = shadow.plan_alert(
            self.connection,
            self.request,
            incident_id,
            self.outcome.rows,
            calls=self.outcome.calls,
            planned_calls=self.outcome.planned_calls,
            suspects=suspects,
            now=self.deps.now(),
        )
        self.publish(alert)

    def _publish_summary(self) -> None:
        if not self.worked and not self.dry_run:
            return  # a repeated trigger that found everything done: nothing new to say
        self.publish(
            summary_alert(
                action="brake",
                incident_id=self.outcome.incident_id or "dry-run",
                connection_id=self.cid,
                platform=self.connection.platform.value,
                rows=self.outcome.rows,
                calls=self.outcome.calls,
                dry_run=self.dry_run,
                complete=self.outcome.complete,
                before=self.outcome.suspects_before,
                now=self.deps.now(),
            )
        )
        self.announce_needs_human(self.outcome.rows, self.outcome.incident_id)
