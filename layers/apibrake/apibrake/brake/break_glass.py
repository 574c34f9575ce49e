"""The break-glass brake: when Salesforce refuses REST for the daily limit, the kinds Apex
can change (scheduled Apex, `setting`, `user`) are braked through anonymous Apex sent over
the Apex SOAP API with a DebuggingHeader, which Salesforce serves after the limit is spent,
1,000 calls a day per org (docs/platform-notes.md S9).

One block (platforms/salesforce/apex_blocks.py) reads each automation's prior state, prints
it and changes it. Per block: the rows are journalled pending, one call of apibrake's
budget is counted (store/debugging_calls.py), the block runs, its debug log is parsed into
each row's `before` and journalled, and only then is the row recorded as braked. A block
whose answer is lost may have run: one read-only block settles it (a block is one
transaction: if any row still shows what the block would change, none of it ran); if it did
not run it is sent once more, and a block sent twice that never ran goes to a person. One
that ran goes to a person too, to put back: its prior states went with the answer (or with
the cut lines of its debug log, whose last line is the block's end marker). The rows are
journalled pending marked as the channel's (GLASS_PENDING), so a release after a crash
never takes their missing prior state for "nothing to restore".

Release needs nothing from here: the journal holds the same states the REST adapters
record, and the release goes through REST once the window has recovered.

Flows cannot be deactivated from Apex without an API callout (the Metadata or Tooling
API), which the spent limit refuses too: a flow row goes to a person, with the kill-switch
pattern that makes flows brakeable after exhaustion (docs/runbook.md).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from apibrake.http.errors import DailyLimitExhausted, PlatformError
from apibrake.incident.adapters.apex_restore import by_hand, cannot_recreate, differences
from apibrake.incident.adapters.user import USER_ID
from apibrake.incident.records import (
    GLASS_PENDING,
    PRIOR_STATE_LOST,
    BrakeState,
    Direction,
    JournalRow,
    Outcome,
)
from apibrake.incident.work import IncidentWork
from apibrake.models.allowlist import (
    BREAK_GLASS_KINDS,
    AllowlistEntry,
    AutomationKind,
    break_glass_takes,
)
from apibrake.models.connection import Connection
from apibrake.models.protected import PROTECTED_FIELD, ProtectedConsumers
from apibrake.platforms.salesforce import apex_blocks
from apibrake.platforms.salesforce.apex_blocks import Printed
from apibrake.platforms.salesforce.client import SalesforceClient
from apibrake.store.debugging_calls import DEBUGGING_CALLS_PER_DAY

if TYPE_CHECKING:
    from apibrake.platforms.client import PlatformClient

logger = logging.getLogger(__name__)

GLASS_KINDS = BREAK_GLASS_KINDS
_UNDECIDED = frozenset({BrakeState.PENDING, BrakeState.FAILED})
# Apex allows 100 SOQL queries a transaction; a job or a user takes two.
ROWS_PER_BLOCK = 40
GLASS = "break-glass"
CHANNEL = f"{GLASS}: SOAP executeAnonymous with DebuggingHeader"
FLOW_NOTE = (
    "flows cannot be deactivated from anonymous Apex without an API callout, which the "
    "spent limit refuses too; make the flow check a kill-switch setting apibrake can set "
    "after exhaustion (docs/runbook.md, 'Kill switches for flows')"
)
BUDGET_SPENT = (
    f"{GLASS}: apibrake's budget ({DEBUGGING_CALLS_PER_DAY} DebuggingHeader calls in 24 "
    "hours) is spent"
)
LOST = f"the break-glass block's answer was lost and a re-read shows it ran: {PRIOR_STATE_LOST}"
LOG_CUT = "the break-glass block ran, and its debug log came back cut: " + PRIOR_STATE_LOST.replace(
    "the block's answer", "the cut lines"
)


def why_not(row: JournalRow) -> str:
    """What a person is told beyond "switch it off by hand" about a row the break-glass
    channel did not brake: why a flow cannot be, or why this one was not."""
    if row.kind is AutomationKind.FLOW:
        return f"; {FLOW_NOTE}"
    if row.error and row.error.startswith(GLASS):
        return f"; {row.error}"
    return ""


async def brake_rows(
    work: IncidentWork,
    client: PlatformClient,
    rows: list[JournalRow],
    *,
    connection: Connection,
    entries: dict[str, AllowlistEntry],
    resumed: set[str],
) -> tuple[list[JournalRow], list[JournalRow]]:
    """(braked or settled through the break-glass channel, left for a person). Nothing on a
    dry run, a HubSpot connection, or rows an earlier invocation journalled (their prior
    state stands; a person looks at them as before)."""
    incident_id = work.outcome.incident_id
    if work.dry_run or not incident_id or work.deps.state is None:
        return [], rows
    if not isinstance(client, SalesforceClient):
        return [], rows
    budget = _budget(work, connection.connection_id, incident_id)
    glass = GlassBrake(client, work.journal, budget, connection.protected, entries)
    sorted_rows = _SortedRows.of(rows, connection, resumed)
    if sorted_rows.decided:
        await work.journal(sorted_rows.decided)
    left = await glass.brake(sorted_rows.fresh)
    for group in _same_block(sorted_rows.interrupted):
        left += await glass.settle(group, "an earlier invocation ended before its answer")
    # Rows by their allowlist key: one journal row per automation in an incident.
    kept = {row.automation for row in left}
    tried = sorted_rows.tried
    done = [row for row in tried if row.automation not in kept]
    tried_keys = {row.automation for row in tried}
    return done, left + [row for row in rows if row.automation not in tried_keys]


def _budget(work: IncidentWork, cid: str, incident_id: str) -> Callable[[], Awaitable[bool]]:
    """Counts one DebuggingHeader call of the connection's daily budget; False when spent."""
    state = work.deps.state
    assert state is not None
    calls = state.debugging_calls()

    async def take() -> bool:
        return await work.off_loop(
            calls.take,
            cid,
            now=work.deps.now(),
            incident_id=incident_id,
            budget=DEBUGGING_CALLS_PER_DAY,
        )

    return take


@dataclass(frozen=True)
class _SortedRows:
    """The rows the break-glass brake is handed, sorted: decided already (skipped, off
    already, a person's, or a user the connection now protects: journalled as they are),
    fresh (still undecided, or whose read failed: braked through the glass), interrupted (an
    earlier invocation died between its block and the answer: settled by a re-read)."""

    decided: list[JournalRow]
    fresh: list[JournalRow]
    interrupted: list[JournalRow]

    @classmethod
    def of(cls, rows: list[JournalRow], connection: Connection, resumed: set[str]) -> _SortedRows:
        new = [row for row in rows if row.automation not in resumed]
        decided = [row for row in new if row.brake not in _UNDECIDED]
        # `_protected` marks the row skipped, so it leaves the undecided ones.
        decided += [r for r in new if r.brake in _UNDECIDED and _protected(r, connection)]
        fresh = [row for row in new if row.brake in _UNDECIDED]
        interrupted = [row for row in rows if row.automation in resumed and _interrupted(row)]
        return cls(decided, fresh, interrupted)

    @property
    def tried(self) -> list[JournalRow]:
        return self.decided + self.fresh + self.interrupted


@dataclass
class GlassBrake:
    """One connection's break-glass brake, inside the responder's incident."""

    client: SalesforceClient
    journal: Callable[[list[JournalRow]], Awaitable[None]]
    budget: Callable[[], Awaitable[bool]]  # counts one call; False when spent
    protected: ProtectedConsumers
    entries: dict[str, AllowlistEntry]  # allowlist key -> its entry

    async def brake(self, rows: list[JournalRow]) -> list[JournalRow]:
        """Brakes what it can; returns the rows left for a person. Freezes go in blocks of
        their own: UserLogin sits with User among the setup objects, whose DML cannot share
        a transaction with other DML (a setting's upsert)."""
        left = [row for row in rows if not _can_glass(row)]
        for group in _same_block([row for row in rows if _can_glass(row)]):
            for start in range(0, len(group), ROWS_PER_BLOCK):
                left += await self._block(group[start : start + ROWS_PER_BLOCK])
        return left

    async def _block(self, rows: list[JournalRow], *, resent: bool = False) -> list[JournalRow]:
        if not await self.budget():
            for row in rows:
                row.error = BUDGET_SPENT
            return rows
        for row in rows:
            row.brake, row.error = BrakeState.PENDING, None
            # No prior state before the answer: release must not read "nothing to restore"
            row.options[GLASS_PENDING] = True
        await self.journal(rows)  # pending before the call: a crash leaves them for release
        apex = apex_blocks.block(self._statements(rows, change=True))
        try:
            answer = await self.client.execute_anonymous_debugging(apex)
        except DailyLimitExhausted as error:  # the DebuggingHeader allocation is spent too
            return self._refused(rows, str(error))
        except PlatformError as error:
            logger.warning("break-glass answer lost", extra={"error": str(error)})
            return await self.settle(rows, str(error), resent=resent)
        printed = apex_blocks.parse_log(answer.debug_log)
        if answer.result.problem is not None:
            why = answer.result.problem
            logger.warning("break-glass block failed", extra={"problem": why})
            return self._refused(rows, f"{GLASS} block failed: {why}")
        if not printed.complete:  # it ran and committed; what it printed is not all here
            logger.warning("break-glass debug log cut")
            return await self._lost(rows, LOG_CUT)
        for row in rows:
            self._journal_before(row, printed)
        await self.journal(rows)  # the prior states, before any row is recorded as changed
        left = []
        for row in rows:
            if self._record(row, printed):
                left.append(row)
        await self.journal(rows)
        return left

    async def settle(
        self, rows: list[JournalRow], error: str, *, resent: bool = False
    ) -> list[JournalRow]:
        """A block that may have run (its answer lost, or its invocation ended): a read-only
        block tells whether it ran (it is one transaction); if not, it is sent once more."""
        if not rows:
            return []
        if not await self.budget():
            return self._refused(rows, f"{error}; {BUDGET_SPENT}")
        apex = apex_blocks.block(self._statements(rows, change=False))
        try:
            answer = await self.client.execute_anonymous_debugging(apex)
        except PlatformError as again:
            return self._refused(rows, f"{error}; the settling re-read failed too: {again}")
        printed = apex_blocks.parse_log(answer.debug_log)
        if answer.result.problem is not None or not printed.complete:
            return self._refused(rows, f"{error}; the settling re-read failed")
        # One transaction: a row still showing what the block would change means none ran.
        if any(self._still_on(row, printed) for row in rows):
            if resent:
                return self._refused(rows, f"{error}; sent twice, not run")
            return await self._block(rows, resent=True)
        return await self._lost(rows, LOST)

    async def _lost(self, rows: list[JournalRow], why: str) -> list[JournalRow]:
        """A block that ran, its prior states lost: each row goes to a person to put back."""
        for row in rows:
            row.record(Direction.BRAKE, Outcome.NEEDS_HUMAN, error=why)
        await self.journal(rows)
        return []

    def _still_on(self, row: JournalRow, printed: Printed) -> bool:
        """Whether a read shows the row in a state its block would have changed."""
        state = _prior_state(row, printed)
        if state is None:
            return False
        if row.kind is AutomationKind.SCHEDULED_APEX:
            return _would_abort(state, printed, self.entries[row.automation])
        if row.kind is AutomationKind.SETTING:
            return bool(state.get("value") != row.options.get("brake_value", True))
        return bool(
            state.get("is_active") is True
            and state.get("login_id")
            and state.get("frozen") is False
            and not state.get("is_apibrake")
        )

    def _refused(self, rows: list[JournalRow], why: str) -> list[JournalRow]:
        note = why if why.startswith(GLASS) else f"{GLASS} refused: {why}"
        for row in rows:
            row.error = note
        return rows

    def _statements(self, rows: list[JournalRow], *, change: bool) -> list[str]:
        """One statement per job and user, one per setting object (all its fields: a second
        `getOrgDefaults()` in the same transaction may not see the first one's insert)."""
        statements = []
        settings: dict[str, dict[str, bool]] = {}
        excluded = [name for name in self.protected.names if USER_ID.match(name)]
        for row in rows:
            if row.kind is AutomationKind.SCHEDULED_APEX:
                allow = self.entries[row.automation].allow_inexact_restore
                statements.append(
                    apex_blocks.job_statement(row.name, allow_inexact=allow, change=change)
                )
            elif row.kind is AutomationKind.SETTING:
                setting, field = row.name.split(".", 1)
                value = bool(row.options.get("brake_value", True))
                settings.setdefault(setting, {})[field] = value
            else:
                statements.append(
                    apex_blocks.user_statement(row.name, change=change, excluded_ids=excluded)
                )
        statements += [
            apex_blocks.setting_statement(setting, values, index, change=change)
            for index, (setting, values) in enumerate(settings.items())
        ]
        return statements

    # The debug log into the journal ------------------------------------------------------

    def _journal_before(self, row: JournalRow, printed: Printed) -> None:
        row.before = _prior_state(row, printed)
        row.options.pop(GLASS_PENDING, None)  # what it printed is journalled now

    def _record(self, row: JournalRow, printed: Printed) -> bool:
        """Records what the block did to the row; True when a person must act."""
        before = row.before
        if row.kind is AutomationKind.SCHEDULED_APEX:
            return self._record_job(row, before, printed)
        if row.kind is AutomationKind.SETTING:
            if before is None:
                row.brake, row.error = BrakeState.SKIPPED, "no such custom setting or field"
            elif before.get("value") == row.options.get("brake_value", True):
                row.brake = BrakeState.ALREADY_OFF
            else:
                after = {**before, "exists": True, "value": row.options.get("brake_value", True)}
                row.record(Direction.BRAKE, Outcome.CHANGED, state=_via(after, last_modified=True))
            return False
        return self._record_user(row, before, printed)

    def _record_job(self, row: JournalRow, job: dict[str, Any] | None, printed: Printed) -> bool:
        if job is None:
            row.brake = BrakeState.ALREADY_OFF  # no firing job of that name
            return False
        if not _would_abort(job, printed, self.entries[row.automation]):
            row.record(
                Direction.BRAKE,
                Outcome.NEEDS_HUMAN,
                error="not aborted: apibrake could not put it back exactly "
                f"({'; '.join(job.get('inexact') or [])}). Delete it by hand in Setup > "
                f"Scheduled Jobs and re-create it later {by_hand(job)}, or set "
                "allow_inexact_restore on the allowlist entry",
            )
            return True
        blocked = cannot_recreate({**job, "constructor": "public"})
        if blocked:
            row.restorable = False
            row.restore_note = f"{blocked}: re-schedule it by hand {by_hand(job)}"
        else:
            row.restore_note = (
                "aborted through the break-glass channel: Apex cannot read the class's "
                "constructor, so release finds out whether it can re-create the job (a "
                "failure is reported with the journalled schedule)"
            )
        after = {**job, "state": "DELETED", "next_fire_time": None}
        row.record(Direction.BRAKE, Outcome.CHANGED, state=_via(after))
        return False

    def _record_user(self, row: JournalRow, user: dict[str, Any] | None, printed: Printed) -> bool:
        if user is None:
            row.brake, row.error = BrakeState.SKIPPED, "no user with this username"
            return False
        if user.get("is_active") is False:
            row.brake, row.error = BrakeState.ALREADY_OFF, "inactive: cannot log in"
        elif user.get("frozen") is True:
            row.brake, row.error = BrakeState.ALREADY_OFF, "frozen already (not by this brake)"
        elif user.get("is_apibrake"):
            row.record(
                Direction.BRAKE,
                Outcome.NEEDS_HUMAN,
                error="this is apibrake's own integration user: never frozen",
            )
        elif not user.get("login_id"):
            row.record(
                Direction.BRAKE, Outcome.NEEDS_HUMAN, error="no UserLogin; freeze it in Setup"
            )
            return True
        else:
            after = {**user, "frozen": True}
            row.record(Direction.BRAKE, Outcome.CHANGED, state=_via(after, last_modified=True))
        return False


def _same_block(rows: list[JournalRow]) -> list[list[JournalRow]]:
    """Rows as `GlassBrake.brake` groups them into blocks: freezes apart."""
    freezes = [row for row in rows if row.kind is AutomationKind.USER]
    others = [row for row in rows if row.kind is not AutomationKind.USER]
    return [group for group in (others, freezes) if group]


def _would_abort(job: dict[str, Any], printed: Printed, entry: AllowlistEntry) -> bool:
    """The job template's abort condition (platforms/salesforce/apex_blocks.py)."""
    return entry.allow_inexact_restore or (
        str(job.get("owner_id"))[:15] == str(printed.user_id)[:15]
        and not job.get("end_time")
        and job.get("time_zone") == printed.time_zone
    )


def _protected(row: JournalRow, connection: Connection) -> bool:
    """A user the connection now protects by username: skipped, as the REST brake skips it
    (the allowlist's own check ran when the entry was added, maybe before it was protected;
    one protected by Id is left out by the block's query)."""
    if row.kind is not AutomationKind.USER:
        return False
    reason = connection.protected.reason(row.name)
    if reason is None:
        return False
    row.brake, row.error = (
        BrakeState.SKIPPED,
        f"protected consumer ({PROTECTED_FIELD}), {reason}; never frozen",
    )
    return True


def _interrupted(row: JournalRow) -> bool:
    """Journalled pending by a break-glass block whose answer never came: the channel
    journals no prior state before its answer (a REST brake always has)."""
    return _can_glass(row) and row.brake is BrakeState.PENDING and row.before is None


def _can_glass(row: JournalRow) -> bool:
    # Protected users by Id are excluded in the block's query, by username before it.
    return break_glass_takes(row.kind, row.name)


def _via(state: dict[str, Any], *, last_modified: bool = False) -> dict[str, Any]:
    """The state after a break-glass change, noting the channel. Its LastModifiedDate is
    unknown (the block prints the state before its change): release then does not compare it."""
    return {**state, "channel": CHANNEL, **({"last_modified": None} if last_modified else {})}


def _prior_state(row: JournalRow, printed: Printed) -> dict[str, Any] | None:
    """The row's prior state in the shape its REST adapter journals."""
    if row.kind is AutomationKind.SCHEDULED_APEX:
        return _job_state(row.name, printed)
    if row.kind is AutomationKind.SETTING:
        return _setting_state(row, printed)
    return _user_state(row.name, printed)


def _job_state(name: str, printed: Printed) -> dict[str, Any] | None:
    trigger = next(
        (t for t in printed.jobs if (t.get("CronJobDetail") or {}).get("Name") == name), None
    )
    if trigger is None:
        return None
    apex_class = next(
        (
            j.get("ApexClass") or {}
            for j in printed.classes
            if str(j.get("CronTriggerId"))[:15] == str(trigger.get("Id"))[:15]
        ),
        {},
    )
    owner = trigger.get("OwnerId")
    mine = bool(owner) and str(owner)[:15] == str(printed.user_id)[:15]
    job = {
        "id": trigger.get("Id"),
        "name": name,
        "cron": trigger.get("CronExpression"),
        "time_zone": trigger.get("TimeZoneSidKey"),
        "owner_id": owner,
        "next_fire_time": trigger.get("NextFireTime"),
        "state": trigger.get("State"),
        "start_time": trigger.get("StartTime"),
        "end_time": trigger.get("EndTime"),
        "apex_class": apex_class.get("Name"),
        "namespace": apex_class.get("NamespacePrefix") or None,
        "constructor": None,  # Apex cannot read it: release learns it
        "owner_username": None,
        "owner_time_zone": printed.time_zone if mine else None,
    }
    blocked = cannot_recreate(job)
    job["inexact"] = [d for d in differences(job, printed.user_id) if d != blocked]
    return job


def _setting_state(row: JournalRow, printed: Printed) -> dict[str, Any] | None:
    setting, field = row.name.split(".", 1)
    record = next(
        (
            s
            for s in printed.settings
            if str((s.get("attributes") or {}).get("type", "")).lower() == setting.lower()
        ),
        None,
    )
    if record is None:
        return None
    exists = bool(record.get("Id"))
    return {
        "setting": setting,
        "field": field,
        "org_id": record.get("SetupOwnerId"),
        "exists": exists,
        "record_id": record.get("Id"),
        "value": record.get(field) if exists else None,
        "last_modified": record.get("LastModifiedDate") if exists else None,
    }


def _user_state(username: str, printed: Printed) -> dict[str, Any] | None:
    user = next(
        (u for u in printed.users if str(u.get("Username", "")).lower() == username.lower()),
        None,
    )
    if user is None:
        return None
    login = next(
        (row for row in printed.logins if str(row.get("UserId"))[:15] == str(user.get("Id"))[:15]),
        {},
    )
    return {
        "user_id": user.get("Id"),
        "username": user.get("Username"),
        "name": user.get("Name"),
        "is_active": user.get("IsActive"),
        "login_id": login.get("Id"),
        "frozen": login.get("IsFrozen") if login else None,
        "last_modified": login.get("LastModifiedDate"),
        "is_apibrake": bool(printed.user_id)
        and str(user.get("Id"))[:15] == str(printed.user_id)[:15],
    }
