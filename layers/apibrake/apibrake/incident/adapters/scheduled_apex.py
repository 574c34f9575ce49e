"""Salesforce scheduled Apex jobs (CronTrigger, JobType 7).

An aborted job loses its schedule, so the journal keeps name, cron expression, class and
its namespace and constructor, time zone, owner and next fire time before the abort, and
whether apibrake can re-create it exactly (`apex_restore.py`); a job it cannot is aborted
only when its allowlist entry allows an inexact restore. Several `System.abortJob` (on
release `System.schedule`) statements share one executeAnonymous call while the URI stays
within Salesforce's recommended 2,000 characters.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from apibrake.http.errors import DailyLimitExhausted, PlatformError
from apibrake.incident.adapters.apex_restore import (
    abort_statement,
    by_hand,
    cannot_recreate,
    constructor_access,
    differences,
    pack_statements,
    restored_differently,
    schedule_statement,
)
from apibrake.incident.adapters.base import (
    ACT,
    Adapter,
    AdapterRun,
    BrakeDecision,
    Discovered,
    Observed,
    Shown,
)
from apibrake.incident.records import (
    BrakeState,
    Direction,
    JournalRow,
    Outcome,
)
from apibrake.models.allowlist import AllowlistEntry, AutomationKind
from apibrake.models.connection import Platform
from apibrake.models.permissions import Permission
from apibrake.platforms.salesforce.client import SalesforceClient, answered
from apibrake.platforms.salesforce.execute_anonymous import ExecuteAnonymousResult
from apibrake.platforms.salesforce.permissions import AUTHOR_APEX, MODIFY_METADATA, VIEW_SETUP
from apibrake.platforms.salesforce.soql import soql_strings

_STOPPED_STATES = frozenset({"DELETED", "COMPLETE"})
# A job in ERROR does not fire: the brake leaves it alone (nothing to stop, and aborting
# would lose it), release has nothing to put back.
_NOT_FIRING = frozenset({*_STOPPED_STATES, "ERROR"})
# Statements one executeAnonymous body takes within the 2,000-character URI, for planning
# (the packing measures the real URI): an abort is ~50 encoded characters, a schedule ~100,
# and a My Domain host takes ~60.
ABORTS_PER_BODY = 30
SCHEDULES_PER_BODY = 15
# CronTrigger documents OwnerId without a relationship (its parents are CronJobDetail,
# CreatedBy and LastModifiedBy: docs/platform-notes.md), so the owner is a User query.
_CRON_FIELDS = (
    "Id, CronJobDetail.Name, CronExpression, State, NextFireTime, TimeZoneSidKey, OwnerId, "
    "StartTime, EndTime"
)
# A job's class: from its queued run, or the run in progress while the job is EXECUTING
# (then no Queued row exists).
_RUNS_WITH_CLASS = "('Queued', 'Processing')"
_SYMBOL_TABLE_RETRIES = 5  # single-class reads of a table a multi-row answer left null


class ScheduledApexAdapter(Adapter[SalesforceClient]):
    kind: ClassVar[AutomationKind] = AutomationKind.SCHEDULED_APEX
    platform: ClassVar[Platform] = Platform.SALESFORCE
    # The owners' User rows and the running user's id need nothing more: every user reads User.
    permissions: ClassVar[tuple[Permission, ...]] = (VIEW_SETUP, AUTHOR_APEX, MODIFY_METADATA)
    by_hand: ClassVar[str] = (
        "Salesforce Setup > Environments > Jobs > Scheduled Jobs: note the schedule, then delete"
    )
    probe_description: ClassVar[str] = "query of CronTrigger (LIMIT 1)"
    absent_is_gone: ClassVar[bool] = True  # a CronTrigger query by name: absent is aborted

    async def probe(self, client: SalesforceClient) -> None:
        await client.query("SELECT Id FROM CronTrigger LIMIT 1")

    async def discover(self, client: SalesforceClient) -> list[Discovered]:
        """Every scheduled Apex job, its class and whether apibrake can put it back exactly
        (3 calls, 2,000 rows a page): a job it cannot is best fixed now, in calm time."""
        found = await self._read(client, "")
        await self._complete(client, found, trigger_filter="")
        rows = []
        for name, observed in found.items():
            job = observed.summary
            inexact = job.get("inexact") or []
            rows.append(
                Discovered(
                    automation=f"{self.kind.value}:{name}",
                    label=job.get("apex_class"),
                    type="Scheduled Apex",
                    trigger=job.get("cron"),
                    active=job.get("state"),
                    detail=f"class {job.get('apex_class') or '?'}, next "
                    f"{job.get('next_fire_time') or '-'} ({job.get('time_zone') or '?'}); "
                    + (
                        "restore: exact"
                        if not inexact
                        else "restore NOT exact: " + "; ".join(inexact)
                    ),
                    extra={
                        "apex_class": job.get("apex_class"),
                        "next_fire_time": job.get("next_fire_time"),
                        "exact_restore": not inexact,
                    },
                )
            )
        return rows

    async def observe(self, client: SalesforceClient, names: list[str]) -> dict[str, Observed]:
        if not names:
            return {}
        return await self._read(client, f"AND CronJobDetail.Name IN ({soql_strings(names)})")

    async def _read(self, client: SalesforceClient, where: str) -> dict[str, Observed]:
        records = await client.query(
            f"SELECT {_CRON_FIELDS} FROM CronTrigger "  # noqa: S608 - the callers escape
            f"WHERE CronJobDetail.JobType = '7' {where}".rstrip()
        )
        found: dict[str, Observed] = {}
        for record in records:
            if record.get("State") in _STOPPED_STATES:
                continue
            name = str((record.get("CronJobDetail") or {}).get("Name"))
            found[name] = Observed(
                {
                    "id": record.get("Id"),
                    "name": name,
                    "cron": record.get("CronExpression"),
                    "time_zone": record.get("TimeZoneSidKey"),
                    "owner_id": record.get("OwnerId"),
                    "next_fire_time": record.get("NextFireTime"),
                    "state": record.get("State"),
                    "start_time": record.get("StartTime"),
                    "end_time": record.get("EndTime"),  # a System.schedule job has none
                }
            )
        return found

    async def inventory(self, client: SalesforceClient, names: list[str]) -> dict[str, Observed]:
        """The jobs, their classes (namespace, constructor), their owners and whether each
        comes back exactly: 3 calls (the jobs; their classes and owners in one composite;
        the classes' constructors), the integration user's id from the token (free)."""
        found = await self.observe(client, names)
        if found:
            ids = soql_strings([str(o.summary["id"]) for o in found.values()])
            await self._complete(client, found, trigger_filter=f"AND CronTriggerId IN ({ids})")
        return found

    async def _complete(
        self, client: SalesforceClient, found: dict[str, Observed], *, trigger_filter: str
    ) -> None:
        """Adds each job's class, namespace and constructor, its owner, and what a
        re-created job would not keep. The classes and the owners are read in one composite
        call (both answers fit one page: an org schedules at most 100 Apex jobs)."""
        user_id = await client.running_user_id()
        owners = {str(o.summary["owner_id"]) for o in found.values() if o.summary.get("owner_id")}
        soqls = {
            "jobs": "SELECT ApexClass.Name, ApexClass.NamespacePrefix, CronTriggerId "  # noqa: S608 - the callers escape
            f"FROM AsyncApexJob WHERE JobType = 'ScheduledApex' AND Status IN {_RUNS_WITH_CLASS} "
            f"{trigger_filter}".rstrip()
        }
        if owners:
            soqls["users"] = (
                "SELECT Id, Username, TimeZoneSidKey FROM User "  # noqa: S608 - values escaped
                f"WHERE Id IN ({soql_strings(sorted(owners | ({user_id} if user_id else set())))})"
            )
        answers = await client.query_many(soqls)
        class_by_trigger = {
            job.get("CronTriggerId"): job.get("ApexClass") or {}
            for job in answered(answers["jobs"])
        }
        for observed in found.values():
            apex_class = class_by_trigger.get(observed.summary["id"], {})
            observed.summary["apex_class"] = apex_class.get("Name")
            observed.summary["namespace"] = apex_class.get("NamespacePrefix") or None
        await self._read_constructors(client, found)
        if owners:
            _note_owners(found, answered(answers["users"]))
        for observed in found.values():
            observed.summary["inexact"] = differences(observed.summary, user_id)

    async def _read_constructors(
        self, client: SalesforceClient, found: dict[str, Observed]
    ) -> None:
        classes = sorted(
            {str(o.summary["apex_class"]) for o in found.values() if o.summary.get("apex_class")}
        )
        if not classes:
            return
        records = await self._symbol_tables(client, f"Name IN ({soql_strings(classes)})")
        # A null table on an unmanaged class is not "hidden": it is reported null on some
        # rows of multi-row answers. Each such class is read again on its own.
        unread = [
            str(r.get("Name"))
            for r in records
            if r.get("SymbolTable") is None and not r.get("NamespacePrefix")
        ]
        for name in unread[:_SYMBOL_TABLE_RETRIES]:
            alone = f"Name = {soql_strings([name])} AND NamespacePrefix = null"
            records += [r for r in await self._symbol_tables(client, alone) if r.get("SymbolTable")]
        access: dict[tuple[str | None, str], str | None] = {}
        for r in records:
            key = (r.get("NamespacePrefix") or None, str(r.get("Name")))
            access[key] = access.get(key) or constructor_access(r.get("SymbolTable"))
        for observed in found.values():
            key = (observed.summary.get("namespace"), str(observed.summary.get("apex_class")))
            observed.summary["constructor"] = access.get(key)

    async def _symbol_tables(self, client: SalesforceClient, where: str) -> list[dict[str, Any]]:
        try:
            records: list[dict[str, Any]] = await client.tooling_query(
                f"SELECT Name, NamespacePrefix, SymbolTable FROM ApexClass WHERE {where}"  # noqa: S608 - values escaped
            )
        except DailyLimitExhausted:
            raise
        except PlatformError:
            return []  # unknown: reported as a difference, decided on that
        return records

    def is_off(self, observed: Observed | None) -> bool:
        return observed is None or observed.summary.get("state") in _NOT_FIRING

    def is_restored(self, row: JournalRow, observed: Observed | None) -> bool:
        return not self.is_off(observed)

    def planned_after(self, row: JournalRow) -> dict[str, Any]:
        """Aborted: no schedule left to fire."""
        return {**(row.before or {}), "state": "DELETED", "next_fire_time": None}

    def decide_brake(self, entry: AllowlistEntry, observed: Observed | None) -> BrakeDecision:
        if observed is None:
            return BrakeDecision(BrakeState.ALREADY_OFF, None)
        job = observed.summary
        if job.get("state") in _NOT_FIRING:
            return BrakeDecision(
                BrakeState.ALREADY_OFF,
                f"state {job.get('state')}: the job does not fire; left as is (re-schedule or "
                "delete it in Setup > Scheduled Jobs)",
            )
        inexact = job.get("inexact") or []
        if inexact and not entry.allow_inexact_restore:
            return BrakeDecision(
                BrakeState.NEEDS_HUMAN,
                f"not aborted: apibrake could not put it back exactly ({'; '.join(inexact)}). "
                "Delete it by hand in Setup > Scheduled Jobs and re-create it later "
                f"{by_hand(job)}, or set allow_inexact_restore on the allowlist entry",
            )
        return ACT

    def brake_calls(self, count: int) -> int:
        # Bodies within the 2,000-character URI, plus the verification re-read.
        return math.ceil(count / ABORTS_PER_BODY) + 1 if count else 0

    async def brake(self, run: AdapterRun[SalesforceClient], rows: list[JournalRow]) -> None:
        for row in rows:
            self._note_restore(row)
        await self._run_all(run, rows, [abort_statement(row.before or {}) for row in rows])

    def _note_restore(self, row: JournalRow) -> None:
        """What release will be able to do, said at brake time (the entry allowed it)."""
        job = row.before or {}
        blocked = cannot_recreate(job)
        if blocked:
            row.restorable = False
            row.restore_note = f"{blocked}: re-schedule it by hand {by_hand(job)}"
        elif job.get("inexact"):
            row.restore_note = "will come back inexactly: " + "; ".join(job["inexact"])

    async def _run_all(
        self, run: AdapterRun[SalesforceClient], rows: list[JournalRow], statements: list[str]
    ) -> None:
        """Runs one statement per row, as few executeAnonymous calls as the URL allows."""
        for body in pack_statements(statements, run.client.anonymous_body_fits):
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
        if isinstance(result, PlatformError):
            # It may have run (a lost answer, a gateway's 5xx): never send it blind again
            # (a second System.schedule fails as "already scheduled"). Re-read once and send
            # once more only what did not land; after that, verification settles the rest.
            await self._after_uncertain(run, rows, statements, result, resent=resent)
            return
        if result.problem is None:
            for row in rows:
                run.changed(row, self._expected(run.direction, row))
            return
        if len(rows) > 1:
            # One statement failed the whole body, which Apex rolled back: find out which,
            # one call each.
            for row, statement in zip(rows, statements, strict=True):
                await self._run_body(run, [row], [statement], resent=resent)
            return
        if result.job_already_gone:
            # An abort of a job that is gone already: off, as the brake wanted.
            run.changed(rows[0], self._expected(run.direction, rows[0]))
        else:
            run.failed(rows[0], str(result.problem))

    async def _after_uncertain(
        self,
        run: AdapterRun[SalesforceClient],
        rows: list[JournalRow],
        statements: list[str],
        error: PlatformError,
        *,
        resent: bool,
    ) -> None:
        if not resent:
            try:
                rows, statements = await self._not_landed(run, rows, statements)
            except DailyLimitExhausted:
                raise
            except PlatformError:
                pass  # cannot tell: fall through, the verification re-read settles it
            else:
                if rows:
                    await self._run_body(run, rows, statements, resent=True)
                return
        for row in rows:
            run.failed(row, str(error))

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
            return self.planned_after(row)
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

    def compare(self, row: JournalRow, observed: Observed | None) -> Shown:
        """Absent is aborted, as the brake left it. A job of the name that is there again is
        the recorded one (the abort never reached it) only by its id; any other was
        scheduled since, by apibrake's restore or by a person."""
        if observed is None:
            return super().compare(row, observed)
        if observed.summary.get("id") == (row.before or {}).get("id"):
            return Shown.AS_RECORDED
        return Shown.BACK_ON

    def changed_note(self, row: JournalRow, observed: Observed | None, shown: Shown) -> str:
        cron = observed.summary.get("cron") if observed is not None else None
        return f"re-scheduled by hand since the brake (cron {cron}); left as is"

    def reworked_since(self, row: JournalRow, observed: Observed | None) -> bool:
        """An aborted job shows nothing to compare; one scheduled again with another cron or
        class was reworked (release leaves a re-scheduled job to a person anyway)."""
        if observed is None:
            return False
        before, now = row.before or {}, observed.summary
        return any(
            now.get(key) is not None and now.get(key) != before.get(key)
            for key in ("cron", "apex_class")
        )

    def release_calls(self, count: int) -> int:
        return math.ceil(count / SCHEDULES_PER_BODY) + 1 if count else 0

    async def release(self, run: AdapterRun[SalesforceClient], rows: list[JournalRow]) -> None:
        await self._run_all(run, rows, [schedule_statement(row.before or {}) for row in rows])

    def shown(
        self, direction: Direction, row: JournalRow, observed: Observed | None
    ) -> dict[str, Any] | None:
        if direction is Direction.BRAKE or observed is None:
            return super().shown(direction, row, observed)
        before = row.before or {}
        return {
            **observed.summary,
            "apex_class": before.get("apex_class"),
            "namespace": before.get("namespace"),
        }

    def missed(self, direction: Direction, row: JournalRow, observed: Observed | None) -> str:
        if direction is Direction.BRAKE:
            return super().missed(direction, row, observed)
        return "not scheduled after the restore (verification re-query)"

    def verify(self, direction: Direction, row: JournalRow, observed: Observed | None) -> None:
        """A re-created job is compared with the journal: a difference is reported on the
        row, never called exact."""
        super().verify(direction, row, observed)
        if direction is Direction.RELEASE and row.outcome(direction) is Outcome.CHANGED:
            differs = restored_differently(row.before or {}, row.restored or {})
            if differs:
                note = "re-created, not exactly as it was: " + "; ".join(differs)
                row.record(direction, Outcome.CHANGED, error=note)


def _note_owners(found: dict[str, Observed], users: list[dict[str, Any]]) -> None:
    """Each owner's username and time zone now (a re-created job takes the running user's
    zone, compared with the job's own)."""
    by_id = {str(user.get("Id"))[:15]: user for user in users}
    for observed in found.values():
        owner = by_id.get(str(observed.summary.get("owner_id"))[:15], {})
        observed.summary["owner_username"] = owner.get("Username")
        observed.summary["owner_time_zone"] = owner.get("TimeZoneSidKey")  # its zone now
