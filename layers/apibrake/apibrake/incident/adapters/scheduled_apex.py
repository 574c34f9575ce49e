"""Salesforce scheduled Apex jobs (CronTrigger, JobType 7).

An aborted job loses its schedule, so the journal keeps name, cron expression, class,
time zone, owner and next fire time before the abort. Several `System.abortJob` (and on
release `System.schedule`) statements share one executeAnonymous call while the URL stays
under Salesforce's size limit.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from apibrake.http.errors import AnswerLost, DailyLimitExhausted, PlatformError
from apibrake.incident.adapters.base import (
    ACT,
    RESTORE,
    Adapter,
    AdapterRun,
    BrakeDecision,
    Discovered,
    Observed,
    ReleaseDecision,
)
from apibrake.incident.records import BrakeState, Direction, JournalRow, ReleaseState
from apibrake.models.allowlist import AllowlistEntry, AutomationKind
from apibrake.models.connection import Platform
from apibrake.platforms.salesforce.client import SalesforceClient
from apibrake.platforms.salesforce.execute_anonymous import (
    ExecuteAnonymousResult,
    fits_anonymous_url,
)
from apibrake.platforms.salesforce.soql import apex_string, soql_strings

_STOPPED_STATES = frozenset({"DELETED", "COMPLETE"})


def abort_statement(row: JournalRow) -> str:
    return f"System.abortJob({apex_string(str((row.before or {}).get('id')))});"


# An Apex class name, optionally namespaced or nested (ns.Outer): nothing else may reach
# the anonymous Apex body unquoted.
APEX_CLASS_NAME = re.compile(r"^[A-Za-z]\w{0,39}(\.[A-Za-z]\w{0,39})?$")


def schedule_statement(job: dict[str, Any]) -> str:
    if not APEX_CLASS_NAME.match(str(job.get("apex_class") or "")):
        raise ValueError(f"not an Apex class name: {job.get('apex_class')!r}")
    return (
        f"System.schedule({apex_string(str(job['name']))}, {apex_string(str(job['cron']))}, "
        f"new {job['apex_class']}());"
    )


def pack_statements(statements: list[str], api_version: str) -> list[list[int]]:
    """Indexes of `statements` grouped into bodies whose URL fits (one statement per line)."""
    bodies: list[list[int]] = []
    current: list[int] = []
    for index in range(len(statements)):
        candidate = "\n".join(statements[i] for i in [*current, index])
        if current and not fits_anonymous_url(candidate, api_version):
            bodies.append(current)
            current = []
        current.append(index)
    if current:
        bodies.append(current)
    return bodies


def _constructible(symbol_table: Any) -> bool | None:
    """A no-argument constructor, or none declared (the default one); None when unknown."""
    if not isinstance(symbol_table, dict) or not isinstance(symbol_table.get("constructors"), list):
        return None
    constructors = symbol_table["constructors"]
    return not constructors or any(
        isinstance(c, dict) and not c.get("parameters") for c in constructors
    )


class ScheduledApexAdapter(Adapter[SalesforceClient]):
    kind: ClassVar[AutomationKind] = AutomationKind.SCHEDULED_APEX
    platform: ClassVar[Platform] = Platform.SALESFORCE
    permissions: ClassVar[tuple[str, ...]] = (
        "API Enabled",
        "View Setup and Configuration (CronTrigger, AsyncApexJob, ApexClass)",
        "Author Apex (executeAnonymous: System.abortJob, System.schedule)",
    )
    by_hand: ClassVar[str] = (
        "Salesforce Setup > Environments > Jobs > Scheduled Jobs: note the schedule, then delete"
    )
    probe_description: ClassVar[str] = "query of CronTrigger (LIMIT 1)"

    async def probe(self, client: SalesforceClient) -> None:
        await client.query("SELECT Id FROM CronTrigger LIMIT 1")

    async def discover(self, client: SalesforceClient) -> list[Discovered]:
        """Scheduled Apex jobs and the class each runs (2 calls, 2,000 rows a page)."""
        jobs = await client.query(
            "SELECT Id, CronJobDetail.Name, CronExpression, NextFireTime, State, TimeZoneSidKey "
            "FROM CronTrigger WHERE CronJobDetail.JobType = '7'"
        )
        classes = await client.query(
            "SELECT ApexClass.Name, CronTriggerId FROM AsyncApexJob "
            "WHERE JobType = 'ScheduledApex' AND Status = 'Queued'"
        )
        class_of = {
            job.get("CronTriggerId"): (job.get("ApexClass") or {}).get("Name") for job in classes
        }
        found = []
        for job in jobs:
            if job.get("State") in _STOPPED_STATES:
                continue
            apex_class = class_of.get(job.get("Id"))
            found.append(
                Discovered(
                    automation=f"{self.kind.value}:{(job.get('CronJobDetail') or {}).get('Name')}",
                    label=apex_class,
                    type="Scheduled Apex",
                    trigger=job.get("CronExpression"),
                    active=job.get("State"),
                    detail=f"class {apex_class or '?'}, next {job.get('NextFireTime') or '-'}"
                    f" ({job.get('TimeZoneSidKey') or '?'})",
                    extra={"apex_class": apex_class, "next_fire_time": job.get("NextFireTime")},
                )
            )
        return found

    async def observe(self, client: SalesforceClient, names: list[str]) -> dict[str, Observed]:
        if not names:
            return {}
        records = await client.query(
            "SELECT Id, CronJobDetail.Name, CronExpression, State, NextFireTime, "  # noqa: S608 - soql_strings escapes
            "TimeZoneSidKey, OwnerId FROM CronTrigger WHERE CronJobDetail.JobType = '7' "
            f"AND CronJobDetail.Name IN ({soql_strings(names)})"
        )
        found: dict[str, Observed] = {}
        for record in records:
            detail = record.get("CronJobDetail") or {}
            if record.get("State") in _STOPPED_STATES:
                continue
            name = str(detail.get("Name"))
            found[name] = Observed(
                {
                    "id": record.get("Id"),
                    "name": name,
                    "cron": record.get("CronExpression"),
                    "time_zone": record.get("TimeZoneSidKey"),
                    "owner_id": record.get("OwnerId"),
                    "next_fire_time": record.get("NextFireTime"),
                    "state": record.get("State"),
                }
            )
        return found

    async def inventory(self, client: SalesforceClient, names: list[str]) -> dict[str, Observed]:
        if not names:
            return {}
        found = await self.observe(client, names)
        if not found:
            return found
        trigger_ids = soql_strings([str(o.summary["id"]) for o in found.values()])
        jobs = await client.query(
            "SELECT ApexClass.Name, CronTriggerId FROM AsyncApexJob "  # noqa: S608 - soql_strings escapes
            "WHERE JobType = 'ScheduledApex' AND Status = 'Queued' "
            f"AND CronTriggerId IN ({trigger_ids})"
        )
        class_by_trigger = {
            job.get("CronTriggerId"): (job.get("ApexClass") or {}).get("Name") for job in jobs
        }
        for observed in found.values():
            observed.summary["apex_class"] = class_by_trigger.get(observed.summary["id"])
        await self._check_constructors(client, found)
        return found

    async def _check_constructors(
        self, client: SalesforceClient, found: dict[str, Observed]
    ) -> None:
        classes = sorted(
            {str(o.summary["apex_class"]) for o in found.values() if o.summary.get("apex_class")}
        )
        if not classes:
            return
        try:
            records = await client.tooling_query(
                "SELECT Name, SymbolTable FROM ApexClass "  # noqa: S608 - values escaped
                f"WHERE Name IN ({soql_strings(classes)})"
            )
        except DailyLimitExhausted:
            raise
        except PlatformError:
            return  # unknown: release will find out
        by_name = {str(r.get("Name")): _constructible(r.get("SymbolTable")) for r in records}
        for observed in found.values():
            observed.raw = by_name.get(str(observed.summary.get("apex_class")))

    def is_off(self, observed: Observed | None) -> bool:
        return observed is None or observed.summary.get("state") in _STOPPED_STATES

    def is_restored(self, row: JournalRow, observed: Observed | None) -> bool:
        return not self.is_off(observed)

    def decide_brake(self, entry: AllowlistEntry, observed: Observed | None) -> BrakeDecision:
        if observed is None:
            return BrakeDecision(BrakeState.ALREADY_OFF, None)
        return ACT

    def brake_calls(self, count: int) -> int:
        # ~350 aborts fit in one URL; the org allows at most 100 scheduled jobs.
        return 2 if count else 0

    async def brake(self, run: AdapterRun[SalesforceClient], rows: list[JournalRow]) -> None:
        for row in rows:
            self._flag_restorable(row, run.observed.get(row.name))
        await self._run_all(run, rows, [abort_statement(row) for row in rows])

    def _flag_restorable(self, row: JournalRow, observed: Observed | None) -> None:
        job = row.before or {}
        if not job.get("apex_class"):
            row.restorable = False
            row.restore_note = "the job's Apex class could not be found: re-schedule it by hand"
        elif not APEX_CLASS_NAME.match(str(job["apex_class"])):
            row.restorable = False
            row.restore_note = "the Apex class name is not a plain identifier: re-schedule by hand"
        elif observed is not None and observed.raw is False:
            row.restorable = False
            row.restore_note = (
                f"{job['apex_class']} has no no-argument constructor: re-schedule by hand "
                f"with System.schedule({apex_string(str(job['name']))}, "
                f"{apex_string(str(job['cron']))}, new {job['apex_class']}(...)) "
                f"(time zone {job.get('time_zone')})"
            )

    async def _run_all(
        self, run: AdapterRun[SalesforceClient], rows: list[JournalRow], statements: list[str]
    ) -> None:
        """Runs one statement per row, as few executeAnonymous calls as the URL allows."""
        for body in pack_statements(statements, run.client.api_version):
            batch = [rows[i] for i in body]
            if not await run.start_batch(batch):
                return
            await self._run_body(run, batch, [statements[i] for i in body])

    async def _run_body(
        self,
        run: AdapterRun[SalesforceClient],
        rows: list[JournalRow],
        statements: list[str],
        *,
        resent: bool = False,
    ) -> None:
        result = await self._execute(run.client, "\n".join(statements))
        if isinstance(result, AnswerLost) and not resent:
            # It may have run: never send it blind again (a second System.schedule fails as
            # "already scheduled"); re-read, and send once more only what did not land.
            try:
                rows, statements = await self._not_landed(run, rows, statements)
            except DailyLimitExhausted:
                raise
            except PlatformError:  # cannot tell: the verification re-read settles it
                for row in rows:
                    run.failed(row, str(result))
                return
            if rows:
                await self._run_body(run, rows, statements, resent=True)
            return
        if isinstance(result, ExecuteAnonymousResult) and result.problem is None:
            for row in rows:
                run.changed(row, self._expected(run.direction, row))
            return
        if len(rows) > 1:
            # One statement failed the whole body: find out which, one call each.
            for row, statement in zip(rows, statements, strict=True):
                await self._run_body(run, [row], [statement], resent=resent)
            return
        if isinstance(result, ExecuteAnonymousResult) and result.job_already_gone:
            # An abort of a job that is gone already: off, as the brake wanted.
            run.changed(rows[0], self._expected(run.direction, rows[0]))
        else:
            run.failed(
                rows[0], str(result) if isinstance(result, PlatformError) else str(result.problem)
            )

    async def _not_landed(
        self, run: AdapterRun[SalesforceClient], rows: list[JournalRow], statements: list[str]
    ) -> tuple[list[JournalRow], list[str]]:
        """Records the rows whose change the platform shows; returns the others."""
        seen = await self.observe(run.client, [row.name for row in rows])
        rest: tuple[list[JournalRow], list[str]] = ([], [])
        for row, statement in zip(rows, statements, strict=True):
            if self.reached(run.direction, row, seen.get(row.name)):
                run.changed(row, self.shown(run.direction, row, seen.get(row.name)))
            else:
                rest[0].append(row)
                rest[1].append(statement)
        return rest

    def _expected(self, direction: Direction, row: JournalRow) -> dict[str, Any] | None:
        """The job's state once the call has worked; a re-created job's id is known only
        from the verification re-read."""
        if direction is Direction.BRAKE:
            return {**(row.before or {}), "state": "DELETED", "next_fire_time": None}
        return None

    async def _execute(
        self, client: SalesforceClient, apex: str
    ) -> ExecuteAnonymousResult | PlatformError:
        try:
            result: ExecuteAnonymousResult = await client.execute_anonymous(apex)
        except DailyLimitExhausted:
            raise
        except PlatformError as error:
            return error
        return result

    def decide_release(self, row: JournalRow, observed: Observed | None) -> ReleaseDecision:
        before = row.before or {}
        if not before or self.is_off(Observed(before)):
            return ReleaseDecision(ReleaseState.NOTHING)
        if observed is not None:
            if row.brake is BrakeState.PENDING and observed.summary.get("id") == before.get("id"):
                return ReleaseDecision(ReleaseState.NOTHING)  # the abort never reached it
            if row.release is ReleaseState.PENDING:
                return ReleaseDecision(ReleaseState.RELEASED)  # our earlier schedule landed
            return ReleaseDecision(
                ReleaseState.NEEDS_HUMAN,
                f"re-scheduled by hand since the brake (cron {observed.summary.get('cron')}); "
                "left as is",
            )
        if not row.restorable:
            return ReleaseDecision(ReleaseState.NEEDS_HUMAN, row.restore_note)
        return RESTORE

    def release_calls(self, count: int) -> int:
        return 2 if count else 0

    async def release(self, run: AdapterRun[SalesforceClient], rows: list[JournalRow]) -> None:
        await self._run_all(run, rows, [schedule_statement(row.before or {}) for row in rows])

    def shown(
        self, direction: Direction, row: JournalRow, observed: Observed | None
    ) -> dict[str, Any] | None:
        if direction is Direction.BRAKE or observed is None:
            return super().shown(direction, row, observed)
        return {**observed.summary, "apex_class": (row.before or {}).get("apex_class")}

    def missed(self, direction: Direction, row: JournalRow, observed: Observed | None) -> str:
        if direction is Direction.BRAKE:
            return super().missed(direction, row, observed)
        return "not scheduled after the restore (verification re-query)"
