"""The incident responder: brake every allowlisted automation of one connection or all.

Per connection: open (or resume) the connection's one incident, inventory what the
allowlist names, plan, check the reserve, journal each prior state, change, verify.
Connections are braked concurrently (a bounded number at once); their AWS calls (boto3,
blocking) run in the invocation's worker threads, so one connection's journal writes never
hold up another's platform calls. Within one connection the steps stay in order.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from apibrake.aws_threads import AWS_THREADS, AwsThreads
from apibrake.brake.adapters import ADAPTERS, Adapter
from apibrake.brake.adapters.base import AdapterRun, Observed
from apibrake.brake.alerts import human_must_act, summary_alert
from apibrake.brake.deps import IncidentDeps, fresh_reading, publish_safely
from apibrake.brake.drives import LinkedBrake, linked_brakes
from apibrake.brake.rows import brake_row
from apibrake.deadline import Deadline
from apibrake.http.errors import DailyLimitExhausted, PlatformError
from apibrake.models.allowlist import AllowlistEntry, AutomationKind
from apibrake.models.connection import Connection
from apibrake.models.events import BrakeEvent
from apibrake.models.reports import AutomationRow, ConnectionFailure, IncidentReport, RowStatus
from apibrake.release.recovery import STORED_READING_MAX_AGE, current_reset
from apibrake.store.allowlist import InvalidEntry
from apibrake.store.journal import CHANGED_STATES, BrakeState, IncidentMeta, JournalRow
from apibrake.warn.publisher import Alert

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=15)  # Lambda's longest run; a crashed holder frees it by then
# Connections braked at once: each holds platform connections and journal calls in flight.
CONNECTIONS_AT_ONCE = 25
# Journal rows a new brake looks at again: interrupted ones and failed ones (a sick
# platform, a refused change) - the rest are settled.
_RETRIED_STATES = frozenset({BrakeState.PENDING, BrakeState.FAILED})


@dataclass
class ConnectionOutcome:
    connection_id: str
    incident_id: str | None = None
    rows: list[AutomationRow] = field(default_factory=list)
    calls: int = 0
    planned_calls: int = 0
    complete: bool = True
    failure: ConnectionFailure | None = None


@dataclass
class _Plan:
    adapter: Adapter
    rows: dict[str, JournalRow] = field(default_factory=dict)  # by name
    observed: dict[str, Observed] = field(default_factory=dict)
    act: list[JournalRow] = field(default_factory=list)


def incident_id_for(connection_id: str, deps: IncidentDeps) -> str:
    return f"{connection_id}-{deps.now():%Y%m%dT%H%M%SZ}"


async def brake(request: BrakeEvent, deps: IncidentDeps, deadline: Deadline) -> IncidentReport:
    with AwsThreads(min(deps.concurrency, AWS_THREADS)) as aws:
        return await _brake_all(request, deps, deadline, aws)


async def _brake_all(
    request: BrakeEvent, deps: IncidentDeps, deadline: Deadline, aws: AwsThreads
) -> IncidentReport:
    every, every_failures = await aws.call(deps.connections.load, include_disabled=True)
    if request.connection_id:
        connections, failures = await aws.call(deps.connections.load, [request.connection_id])
    else:
        connections, failures = [c for c in every if c.enabled], every_failures
    known = frozenset(c.connection_id for c in every)
    # Automations of other connections that drive these: braked in their own incidents.
    links = await linked_brakes(deps, [c.connection_id for c in connections], every, request.tier)
    gate = asyncio.Semaphore(CONNECTIONS_AT_ONCE)

    async def bounded(
        connection: Connection, asked: BrakeEvent, linked: list[AllowlistEntry] | None = None
    ) -> ConnectionOutcome:
        async with gate:
            return await _safely(connection, asked, deps, deadline, known, aws, linked)

    outcomes = await asyncio.gather(
        *(bounded(connection, request) for connection in connections),
        *(bounded(link.connection, _linked_request(request, link), link.entries) for link in links),
    )
    incidents = {o.connection_id: o.incident_id for o in outcomes if o.incident_id}
    if request.connection_id in incidents:
        run_id = incidents[request.connection_id]
    elif len(incidents) == 1:
        run_id = next(iter(incidents.values()))
    else:
        run_id = f"{'dry-run' if request.dry_run else 'brake'}-{deps.now():%Y%m%dT%H%M%SZ}"
    return IncidentReport(
        incident_id=run_id,
        action="brake",
        dry_run=request.dry_run,
        api_calls={o.connection_id: o.calls for o in outcomes},
        planned_calls={o.connection_id: o.planned_calls for o in outcomes}
        if request.dry_run
        else {},
        incidents=incidents,
        rows=[row for o in outcomes for row in o.rows],
        errors=failures + [o.failure for o in outcomes if o.failure],
        complete=all(o.complete for o in outcomes),
    )


def _linked_request(request: BrakeEvent, link: LinkedBrake) -> BrakeEvent:
    return request.model_copy(
        update={
            "connection_id": link.connection.connection_id,
            "reason": f"{link.reason}; {request.reason}".strip("; "),
        }
    )


async def _safely(
    connection: Connection,
    request: BrakeEvent,
    deps: IncidentDeps,
    deadline: Deadline,
    known: frozenset[str],
    aws: AwsThreads,
    linked: list[AllowlistEntry] | None = None,
) -> ConnectionOutcome:
    """One broken connection never stops the others."""
    try:
        brake = _ConnectionBrake(connection, request, deps, deadline, known, aws, linked)
        return await brake.run()
    except Exception as error:
        logger.exception("brake failed", extra={"connection_id": connection.connection_id})
        return ConnectionOutcome(
            connection.connection_id,
            failure=ConnectionFailure(connection_id=connection.connection_id, error=str(error)),
            complete=False,
        )


class _ConnectionBrake:
    def __init__(
        self,
        connection: Connection,
        request: BrakeEvent,
        deps: IncidentDeps,
        deadline: Deadline,
        known: frozenset[str],
        aws: AwsThreads,
        linked: list[AllowlistEntry] | None = None,
    ) -> None:
        self.aws = aws  # AWS calls go through it: blocking, they must leave the event loop
        self.connection = connection
        self.known = known  # every connection id: `drives` may only name these
        # A linked brake: only these entries (they drive a connection braked now).
        self.linked = linked
        self.unknown_drives: dict[str, list[str]] = {}  # automation -> unknown ids
        self.cid = connection.connection_id
        self.request = request
        self.deps = deps
        self.deadline = deadline
        self.outcome = ConnectionOutcome(self.cid)
        self.meta: IncidentMeta | None = None
        self.worked = False  # this invocation looked at or changed something

    async def run(self) -> ConnectionOutcome:
        entries, invalid_rows = await self.aws.call(self._allowlist)
        self.outcome.rows += invalid_rows
        try:
            client = await self.aws.call(self.deps.open_client, self.connection)
        except Exception as error:  # secret missing or invalid: names the field, no value
            self.outcome.failure = ConnectionFailure(
                connection_id=self.cid, field="secret_id", error=str(error)
            )
            return self.outcome
        existing: dict[str, JournalRow] = {}
        if not self.request.dry_run:
            if not await self.aws.call(self._open_incident):
                return self.outcome
            assert self.meta is not None
            existing = {
                row.automation: row
                for row in await self.aws.call(self.deps.journal.rows, self.meta.incident_id)
            }
        try:
            rows = await self._brake(client, entries, existing)
        finally:
            self.outcome.calls = client.http.calls_made
            if self.meta is not None:
                await self.aws.call(self._finish)
        self.outcome.rows += [self._note_unknown_drives(row) for row in rows]
        await self.aws.call(self._publish_summary)
        return self.outcome

    # Steps -------------------------------------------------------------------------------

    def _allowlist(self) -> tuple[list[AllowlistEntry], list[AutomationRow]]:
        invalid: list[InvalidEntry] = []  # a linked brake leaves these to the own brake
        if self.linked is not None:
            entries = self.linked
        else:
            entries, invalid = self.deps.allowlist.for_connection(self.cid)
        rows = [
            AutomationRow(
                platform=self.connection.platform,
                connection_id=self.cid,
                kind=None,
                name=bad.automation,
                status=RowStatus.SKIPPED,
                error=f"invalid allowlist entry: {bad.field}: {bad.error}",
            )
            for bad in invalid
        ]
        usable = []
        for entry in sorted(entries, key=lambda e: (e.tier, e.automation)):
            if entry.tier > self.request.tier:
                continue
            if ADAPTERS[entry.kind].platform is not self.connection.platform:
                rows.append(
                    AutomationRow(
                        platform=self.connection.platform,
                        connection_id=self.cid,
                        kind=entry.kind,
                        name=entry.name,
                        status=RowStatus.SKIPPED,
                        error=f"kind {entry.kind.value} does not apply to a "
                        f"{self.connection.platform.value} connection",
                    )
                )
                continue
            usable.append(entry)
            unknown = [d for d in entry.drives if d not in self.known]
            if unknown:
                self.unknown_drives[entry.automation] = unknown
        return usable, rows

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

    def _open_incident(self) -> bool:
        deps = self.deps
        meta = IncidentMeta(
            incident_id=incident_id_for(self.cid, deps),
            connection_id=self.cid,
            platform=self.connection.platform,
            opened_at=deps.now(),
            reason=self.request.reason,
            requested_by=self.request.requested_by,
            tier=self.request.tier,
        )
        self.meta, _created = deps.journal.open_incident(meta)
        self.outcome.incident_id = self.meta.incident_id
        now = deps.now()
        if not deps.journal.acquire_lease(
            self.meta.incident_id, deps.owner, now=now, until=now + LEASE
        ):
            busy = self.meta.incident_id
            self.meta = None  # someone else holds it: leave it to them
            self.outcome.rows += [brake_row(r) for r in deps.journal.rows(busy)]
            self.outcome.failure = ConnectionFailure(
                connection_id=self.cid,
                error=f"incident {busy} is being worked on by another invocation; "
                "nothing done here",
            )
            self.outcome.complete = False  # not cached: a later trigger does the work
            return False
        return True

    async def _brake(
        self, client: object, entries: list[AllowlistEntry], existing: dict[str, JournalRow]
    ) -> list[AutomationRow]:
        plans = {kind: _Plan(adapter) for kind, adapter in ADAPTERS.items()}
        settled: list[JournalRow] = []
        to_look: dict[AutomationKind, list[AllowlistEntry]] = {}
        for entry in entries:
            row = existing.get(entry.automation)
            if row is not None and row.brake not in _RETRIED_STATES:
                settled.append(row)  # done by an earlier invocation
            else:
                to_look.setdefault(entry.kind, []).append(entry)
        # Inventory, every kind at once.
        looks = await asyncio.gather(
            *(
                plans[kind].adapter.inventory(client, [e.name for e in group])
                for kind, group in to_look.items()
            ),
            return_exceptions=True,
        )
        fresh: list[JournalRow] = []
        self.worked = bool(to_look)
        for (kind, group), look in zip(to_look.items(), looks, strict=True):
            plan = plans[kind]
            if isinstance(look, DailyLimitExhausted):
                every = [e for g in to_look.values() for e in g]
                unknown = [existing.get(e.automation) or self._new_row(e, None) for e in every]
                return await self.aws.call(self._exhausted, settled, unknown, look)
            for entry in group:
                row = existing.get(entry.automation)
                if isinstance(look, BaseException):
                    row = row or self._new_row(entry, None)
                    row.brake, row.error = BrakeState.FAILED, f"inventory failed: {look}"
                    fresh.append(row)
                    continue
                observed = look.get(entry.name)
                plan.observed[entry.name] = observed if observed else Observed({})
                row = self._decide(plan.adapter, entry, observed, row)
                plan.rows[entry.name] = row
                if row.brake is BrakeState.PENDING:
                    plan.act.append(row)
                fresh.append(row)
        needed = sum(p.adapter.brake_calls(len(p.act)) for p in plans.values())
        self.outcome.planned_calls = needed
        if self.request.dry_run:
            return [brake_row(r) for r in settled] + [
                brake_row(r, would_brake=r.brake is BrakeState.PENDING) for r in fresh
            ]
        assert self.meta is not None
        if needed:
            try:
                reading = await fresh_reading(client, prefer_headers=True)
            except DailyLimitExhausted as error:
                return await self.aws.call(self._exhausted, settled, fresh, error)
            self.meta.trip_percent = round(reading.percent, 2)
            self.meta.resets_at = reading.resets_at or await self.aws.call(self._stored_reset)
            if reading.remaining < needed:
                await self.aws.call(self._trim, plans, reading.remaining, needed)
        # Journal what needs no change now; the rest is journalled batch by batch.
        await self.aws.call(
            self.deps.journal.put_rows,
            self.meta.incident_id,
            [r for r in fresh if r.brake is not BrakeState.PENDING],
        )
        await self._act_and_verify(client, plans, fresh, settled)
        return [brake_row(r) for r in settled + fresh]

    def _stored_reset(self) -> datetime | None:
        """HubSpot's next reset from the monitor's readings (header readings lack it)."""
        if self.deps.state is None:
            return None
        now = self.deps.now()
        since = now - STORED_READING_MAX_AGE
        return current_reset(
            self.deps.state.readings_since(self.connection.connection_id, since), now
        )

    def _decide(
        self,
        adapter: Adapter,
        entry: AllowlistEntry,
        observed: Observed | None,
        row: JournalRow | None,
    ) -> JournalRow:
        if row is not None and row.brake is BrakeState.FAILED and row.before is None:
            row = None  # its inventory failed last time: nothing journalled worth keeping
        if row is not None:  # pending or failed earlier: the journal's `before` stands
            if adapter.is_off(observed) and not adapter.is_off(Observed(row.before or {})):
                row.brake, row.after = BrakeState.BRAKED, observed.summary if observed else None
                row.error = None
            elif adapter.is_off(observed):
                row.brake = BrakeState.ALREADY_OFF
            elif row.brake is BrakeState.FAILED:
                row.brake, row.error = BrakeState.PENDING, None  # still on: try once more
            return row
        row = self._new_row(entry, observed)
        decision = adapter.decide_brake(entry, observed)
        if decision.state is not None:
            row.brake, row.error = decision.state, decision.error
        return row

    def _new_row(self, entry: AllowlistEntry, observed: Observed | None) -> JournalRow:
        return JournalRow(
            connection_id=self.cid,
            platform=self.connection.platform,
            kind=entry.kind,
            name=entry.name,
            drives=[d for d in entry.drives if d in self.known],
            before=dict(observed.summary) if observed else None,
        )

    def _trim(self, plans: dict[AutomationKind, _Plan], remaining: int, needed: int) -> None:
        """Brake what the remaining calls allow, in allowlist order; the rest is for a human."""
        budget = remaining
        cut: list[JournalRow] = []
        for plan in plans.values():
            keep = 0
            while keep < len(plan.act) and plan.adapter.brake_calls(keep + 1) <= budget:
                keep += 1
            budget -= plan.adapter.brake_calls(keep)
            cut += plan.act[keep:]
            plan.act = plan.act[:keep]
        why = f"only {remaining} API calls left, the brake needs {needed}"
        for row in cut:
            row.brake, row.error = BrakeState.NEEDS_HUMAN, f"{why}: switch it off by hand"
        if cut:
            self._alert_human([brake_row(r) for r in cut], why)

    async def _act_and_verify(
        self,
        client: object,
        plans: dict[AutomationKind, _Plan],
        fresh: list[JournalRow],
        settled: list[JournalRow],
    ) -> None:
        assert self.meta is not None
        incident_id = self.meta.incident_id
        runs = [
            (
                p,
                AdapterRun(
                    client,
                    self.deadline,
                    lambda rows: self.deps.journal.put_rows(incident_id, rows),
                    observed=p.observed,
                    concurrency=self.deps.concurrency,
                ),
            )
            for p in plans.values()
            if p.act
        ]
        results = await asyncio.gather(
            *(p.adapter.brake(run, p.act) for p, run in runs), return_exceptions=True
        )
        exhausted = next((r for r in results if isinstance(r, DailyLimitExhausted)), None)
        for (plan, run), result in zip(runs, results, strict=True):
            if run.stopped:
                self.outcome.complete = False
            if isinstance(result, BaseException) and not isinstance(result, PlatformError):
                raise result
            if isinstance(result, PlatformError) and not isinstance(result, DailyLimitExhausted):
                for row in plan.act:
                    if row.brake is BrakeState.PENDING and row not in run.stopped:
                        row.brake, row.error = BrakeState.FAILED, str(result)
        if exhausted is not None:
            stuck = [
                r
                for p, run in runs
                for r in p.act
                if r.brake is BrakeState.PENDING and r not in run.stopped
            ]
            await self.aws.call(self._exhausted_rows, stuck, exhausted)
        else:
            await self._verify(client, runs)
        await self.aws.call(self.deps.journal.put_rows, incident_id, fresh)

    async def _verify(self, client: object, runs: list[tuple[_Plan, AdapterRun]]) -> None:
        checks = [(p, [r for r in p.act if r.brake is BrakeState.BRAKED]) for p, _ in runs]
        checks = [(p, rows) for p, rows in checks if rows]
        if not checks or not self.deadline.has_time():
            return
        looks = await asyncio.gather(
            *(p.adapter.observe(client, [r.name for r in rows]) for p, rows in checks),
            return_exceptions=True,
        )
        for (plan, rows), look in zip(checks, looks, strict=True):
            for row in rows:
                if isinstance(look, BaseException):
                    row.error = f"changed, but the verification re-read failed: {look}"
                else:
                    plan.adapter.confirm_brake(row, look.get(row.name))

    def _exhausted(
        self, settled: list[JournalRow], rows: list[JournalRow], error: DailyLimitExhausted
    ) -> list[AutomationRow]:
        self._exhausted_rows(rows, error)
        if self.meta is not None:
            self.deps.journal.put_rows(self.meta.incident_id, rows)
        return [brake_row(r) for r in settled + rows]

    def _exhausted_rows(self, rows: list[JournalRow], error: DailyLimitExhausted) -> None:
        why = f"the platform refuses calls ({error.message})"
        for row in rows:
            row.brake, row.error = BrakeState.NEEDS_HUMAN, f"{why}: switch it off by hand"
        if rows:
            self._alert_human([brake_row(r) for r in rows], why)

    def _alert_human(self, rows: list[AutomationRow], why: str) -> None:
        self._publish(human_must_act(self.cid, self.connection.platform.value, rows, why))

    def _publish(self, alert: Alert) -> None:
        """An alert that cannot go out must not undo or stop the brake: it is reported."""
        problem = publish_safely(self.deps, alert)
        if problem is not None and self.outcome.failure is None:
            self.outcome.failure = ConnectionFailure(
                connection_id=self.cid, field="alert_topic", error=problem
            )

    def _finish(self) -> None:
        assert self.meta is not None
        journal, meta = self.deps.journal, self.meta
        rows = journal.rows(meta.incident_id)
        meta.brake_complete = self.outcome.complete and all(
            r.brake is not BrakeState.PENDING for r in rows
        )
        meta.api_calls["brake"] = meta.api_calls.get("brake", 0) + self.outcome.calls
        journal.save_meta(meta)
        if meta.brake_complete and not any(r.brake in CHANGED_STATES for r in rows):
            journal.close(meta, now=self.deps.now())  # nothing to release
        journal.release_lease(meta.incident_id, self.deps.owner)

    def _publish_summary(self) -> None:
        if not self.worked and not self.request.dry_run:
            return  # a repeated trigger that found everything done: nothing new to say
        self._publish(
            summary_alert(
                action="brake",
                incident_id=self.outcome.incident_id or "dry-run",
                connection_id=self.cid,
                platform=self.connection.platform.value,
                rows=self.outcome.rows,
                calls=self.outcome.calls,
                dry_run=self.request.dry_run,
                complete=self.outcome.complete,
            )
        )
