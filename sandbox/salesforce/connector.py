"""HubSpot's Salesforce connector: the consumer that spends Salesforce calls for the records
the org's automations change (and for HubSpot workflows' Salesforce actions), under its own
connected app and integration user.

Facts (docs/platform-notes.md S6):
- it "checks for new information ... every 15 minutes, and a sync is triggered as needed";
  a triggered sync is not completed at once (a backlog can carry over cycles);
- the admin caps its calls with "Allocated to HubSpot"; sync-error retries run every 30
  minutes and stop above 75 % of that cap, or after 5,000 calls in 24 hours without one;
- "If the maximum number of API calls in Salesforce is used, all integrations, including
  HubSpot, will stop working until calls are available" (what-is-an-api-call-limit): it
  pauses while the org refuses and catches up after;
- a workflow's Salesforce actions spend Salesforce calls through the connector.
Every other number here is an estimate, named and marked as one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sandbox.salesforce.callers import app_id
from sandbox.salesforce.changes import Change, ChangeQueue, Driver
from sandbox.salesforce.ledger import Caller
from sandbox.salesforce.usage import RollingUsage

if TYPE_CHECKING:
    from sandbox.salesforce.org import SalesforceOrg

SYNC_CYCLE = timedelta(minutes=15)  # fact: "every 15 minutes" (sync-triggers article)
RETRY_EVERY = timedelta(minutes=30)  # fact: sync errors retried every 30 minutes
# Estimate: a cycle's calls are made evenly over the following 15 minutes (a triggered sync
# "is not completed at once"; no source says how long one takes).
SYNC_DURATION = timedelta(minutes=15)
RETRY_STOP_SHARE_OF_CAP = 0.75  # fact: no retries above 75 % of "Allocated to HubSpot"
RETRY_STOP_WITHOUT_CAP = 5_000  # fact: without a cap, no retries after 5,000 calls in 24 h
# Estimate: records one read call brings back (no public source says how HubSpot batches).
RECORDS_PER_READ_CALL = 10
# Estimate: the share of synced records HubSpot writes a value back to in Salesforce.
WRITE_BACK_SHARE = 0.5
# Estimate: records one write-back call updates.
RECORDS_PER_WRITE_CALL = 5
# Together: 0.2 calls per synced record, i.e. 5 records changed cost about one call.
CALLS_PER_RECORD = 1 / RECORDS_PER_READ_CALL + WRITE_BACK_SHARE / RECORDS_PER_WRITE_CALL
# Estimate: Salesforce calls per Salesforce action of a HubSpot workflow (create a task,
# set a field): one create or update each, carried out at the connector's next sync cycle
# (no source says whether actions wait for the cycle; waiting makes the tail longer).
CALLS_PER_SALESFORCE_ACTION = 1
# Estimate: the share of synced records that fail (validation rules, locked rows) and wait
# for the 30-minute retry.
SYNC_ERROR_SHARE = 0.01
# Objects a default install syncs (contacts, leads, companies, deals, tasks, tickets).
DEFAULT_SYNCED_OBJECTS = frozenset({"Contact", "Lead", "Account", "Opportunity", "Task", "Case"})

HUBSPOT_APP_NAME = "HubSpot"
HUBSPOT_USERNAME = "hubspot.integration@acme.example"
HUBSPOT_USER_ID = "0055g00000HubSpotU"


@dataclass
class ConnectorSettings:
    username: str = HUBSPOT_USERNAME
    user_id: str = HUBSPOT_USER_ID
    app_name: str = HUBSPOT_APP_NAME
    synced_objects: frozenset[str] = DEFAULT_SYNCED_OBJECTS
    cycle: timedelta = SYNC_CYCLE
    # How far behind the changes it syncs (a backlog of that many minutes): a cycle syncs
    # what changed before `cycle start - backlog`.
    backlog: timedelta = timedelta(0)
    # Records one cycle can sync; None: all that are due (the rest waits for the next one).
    records_per_cycle: float | None = None
    # "Allocated to HubSpot": its calls in 24 hours stop here; None: no cap set.
    allocated_to_hubspot: int | None = None
    sync_error_share: float = SYNC_ERROR_SHARE


@dataclass
class HubSpotConnector:
    org: SalesforceOrg
    settings: ConnectorSettings = field(default_factory=ConnectorSettings)
    changes: ChangeQueue = field(default_factory=ChangeQueue)
    # HubSpot workflows whose Salesforce actions the connector carries out: each feed
    # answers (driver, actions an hour) at this moment (wired by the sandbox).
    action_feeds: list[Callable[[], list[tuple[Driver, float]]]] = field(default_factory=list)
    calls_24h: RollingUsage = field(default_factory=RollingUsage)
    # Its calls as (start, end, calls) spread evenly, the settled ones summed in
    # `_settled`: what it spent up to any moment (the score measures its tail).
    _spreads: list[tuple[datetime, datetime, float]] = field(default_factory=list)
    _settled: float = 0.0
    _actions: dict[Driver, float] = field(default_factory=lambda: defaultdict(float))
    _errored: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    _last_cycle: datetime | None = None
    _last_retry: datetime | None = None

    # --- identity ----------------------------------------------------------------------------

    def caller(self, sobject: str, *, write: bool) -> Caller:
        """What an ApiTotalUsage row names for its reads or write-backs of `sobject`."""
        return Caller(
            user_id=self.settings.user_id,
            username=self.settings.username,
            connected_app_id=app_id(self.settings.app_name),
            connected_app_name=self.settings.app_name,
            api_resource="/v62.0/composite/sobjects" if write else "/v62.0/query",
            entity=sobject,
            http_method="PATCH" if write else "GET",
        )

    def syncs(self, sobject: str) -> bool:
        return sobject in self.settings.synced_objects

    # --- what it will spend --------------------------------------------------------------------

    def spending_for(self, record_rates: list[tuple[Change, float]]) -> list[tuple[Caller, float]]:
        """Calls an hour it spends, per ApiTotalUsage row, on these record changes and on
        the workflow actions fed to it at this moment."""
        records: dict[str, float] = defaultdict(float)
        for change, rate in record_rates:
            if self.syncs(change.sobject):
                records[change.sobject] += rate
        spending = []
        for sobject, rate in records.items():
            spending.append((self.caller(sobject, write=False), rate / RECORDS_PER_READ_CALL))
            write_calls = rate * WRITE_BACK_SHARE / RECORDS_PER_WRITE_CALL
            spending.append((self.caller(sobject, write=True), write_calls))
        actions = sum(rate for feed in self.action_feeds for _, rate in feed())
        if actions:
            spending.append(
                (self.caller("Task", write=True), actions * CALLS_PER_SALESFORCE_ACTION)
            )
        return spending

    def backlog_records(self) -> float:
        """Changed records it has not synced yet."""
        return self.changes.pending(self.org.clock.now(), self.settings.synced_objects)

    def errored_records(self) -> float:
        """Records whose sync failed, waiting for a retry."""
        return sum(self._errored.values())

    # --- running -------------------------------------------------------------------------------

    def collect_actions(self, start: datetime, end: datetime) -> None:
        hours = (end - start).total_seconds() / 3600
        for feed in self.action_feeds:
            for driver, per_hour in feed():
                self._actions[driver] += per_hour * hours

    def run_until(self, now: datetime) -> None:
        """Every sync cycle up to `now`: sync what is due, unless the org refuses or the
        allocation is spent, and retry errors every 30 minutes."""
        if self._last_cycle is None:
            self._last_cycle = self.org.created_at
            self._last_retry = self.org.created_at
        assert self._last_retry is not None
        # In time order; a cycle before the retry due at the same moment.
        while True:
            next_cycle = self._last_cycle + self.settings.cycle
            next_retry = self._last_retry + RETRY_EVERY
            if min(next_cycle, next_retry) > now:
                return
            if next_cycle <= next_retry:
                self._last_cycle = next_cycle
                self._sync(next_cycle)
            else:
                self._last_retry = next_retry
                self._retry(next_retry)

    def _can_call(self, at: datetime) -> bool:
        used = self.org.usage_ledger.used(at)
        if used >= self.org.settings.daily_limit:
            return False  # the org refuses every integration until calls age out
        user = self.org.records.users.get(self.settings.user_id)
        if user is not None and user.stopped_at is not None and user.stopped_at <= at:
            return False  # its integration user is frozen
        cap = self.settings.allocated_to_hubspot
        return cap is None or self.calls_24h.used(at) < cap

    def _sync(self, at: datetime) -> None:
        if not self._can_call(at):
            return  # paused: the changes wait, and the next open cycle catches up
        due = at - self.settings.backlog
        taken = self.changes.take(
            due, self.settings.synced_objects, self.settings.records_per_cycle
        )
        by_object: dict[str, float] = defaultdict(float)
        for change, records in taken.items():
            by_object[change.sobject] += records
        for sobject, records in by_object.items():
            errored = records * self.settings.sync_error_share
            self._errored[sobject] += errored
            synced = records - errored
            self._spend(at, self.caller(sobject, write=False), synced / RECORDS_PER_READ_CALL)
            self._spend(
                at,
                self.caller(sobject, write=True),
                synced * WRITE_BACK_SHARE / RECORDS_PER_WRITE_CALL,
            )
            self._save_write_backs(at, sobject, synced * WRITE_BACK_SHARE)
        actions = sum(self._actions.values())
        if actions:
            self._actions.clear()
            self._spend(at, self.caller("Task", write=True), actions * CALLS_PER_SALESFORCE_ACTION)

    def _retry(self, at: datetime) -> None:
        cap = self.settings.allocated_to_hubspot
        stop = RETRY_STOP_WITHOUT_CAP if cap is None else cap * RETRY_STOP_SHARE_OF_CAP
        if not self._errored or not self._can_call(at) or self.calls_24h.used(at) > stop:
            return
        for sobject, records in self._errored.items():
            self._spend(at, self.caller(sobject, write=True), records * CALLS_PER_RECORD)
        self._errored.clear()

    def _save_write_backs(self, at: datetime, sobject: str, records: float) -> None:
        """Its write-backs are saves like any other: SOQL shows its user as the records'
        LastModifiedById, spread like its calls. They never re-enter the change queue (no
        source says the connector syncs its own writes back)."""
        per_hour = records / (SYNC_DURATION.total_seconds() / 3600)
        writer = Change(
            sobject, Driver(f"consumer:{self.settings.app_name}", self.settings.username)
        )
        self.org.records.saved.add_rate(at, at + SYNC_DURATION, writer, per_hour)

    def _spend(self, at: datetime, caller: Caller, calls: float) -> None:
        """`calls` made evenly over SYNC_DURATION from `at`."""
        if calls <= 0:
            return
        end = at + SYNC_DURATION
        per_hour = calls / (SYNC_DURATION.total_seconds() / 3600)
        self._spreads.append((at, end, calls))
        self.calls_24h.add_rate(at, end, per_hour)
        self.org.spend_rate(at, end, caller, per_hour)

    def calls_spent_by(self, moment: datetime) -> float:
        """Every call it made up to `moment`."""
        settled = [spread for spread in self._spreads if spread[1] <= moment]
        self._settled += sum(calls for _, _, calls in settled)
        self._spreads = [spread for spread in self._spreads if spread[1] > moment]
        spreading = sum(
            calls * max((moment - start) / (end - start), 0.0)
            for start, end, calls in self._spreads
        )
        return self._settled + spreading


def records_costing(calls: float) -> float:
    """The changed records whose sync costs the connector `calls` calls: lets a scenario
    say how hard an automation drives the connector, whatever the estimates above."""
    return calls / CALLS_PER_RECORD
