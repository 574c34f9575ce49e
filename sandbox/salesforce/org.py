"""A simulated Salesforce org: its flows, scheduled jobs and triggers (which change records),
the API clients that spend its calls (integrations, HubSpot's connector syncing those
records), and the state API tests and scenarios drive it with."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from enum import Enum
from typing import Literal

from sandbox.audit import AuditLog, Mutation
from sandbox.clock import VirtualClock
from sandbox.faults import Fault, FaultKind
from sandbox.http import Request, Response
from sandbox.salesforce import errors, ids, permissions
from sandbox.salesforce.apex import ApexException
from sandbox.salesforce.apex_soap import DebuggingAllocation
from sandbox.salesforce.api import SalesforceApi
from sandbox.salesforce.auth import Sessions
from sandbox.salesforce.automations import change_records, record_rates, running_jobs
from sandbox.salesforce.callers import (
    ADMIN_USERNAME,
    audit_activation,
    background_caller,
    record_runs,
)
from sandbox.salesforce.connected_apps import ConnectedApps
from sandbox.salesforce.connector import HubSpotConnector
from sandbox.salesforce.cron import CronError, parse
from sandbox.salesforce.event_logs import EventLogs
from sandbox.salesforce.ledger import Caller, CallLedger
from sandbox.salesforce.logins import token_grant
from sandbox.salesforce.permission_sets import PermissionAssignments
from sandbox.salesforce.records import (
    ApexClass,
    AsyncApexJob,
    FlowDefinition,
    FlowVersion,
    OrgRecords,
    ScheduledJob,
    SetupAuditRow,
    User,
)
from sandbox.salesforce.settings import SalesforceSettings
from sandbox.salesforce.switches import KillSwitches
from sandbox.salesforce.usage import RollingUsage


class _Default(Enum):
    LATEST = "latest"


LATEST = _Default.LATEST


class SalesforceOrg:
    name = "salesforce"

    def __init__(self, clock: VirtualClock, audit: AuditLog, settings: SalesforceSettings) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.created_at = clock.now()
        self.audit = audit
        self.settings = settings
        self.records = OrgRecords(org_id=settings.org_id)
        self.records.organization = {
            "OrganizationType": settings.org_type,
            "IsSandbox": settings.is_sandbox,
            "TrialExpirationDate": "2026-12-31" if settings.trial else None,
        }
        # The integration user: who System.schedule runs as, in whose time zone.
        self.add_user(settings.user_id, settings.username, settings.user_time_zone)
        self.sessions = Sessions(settings)
        self.ids = ids.IdFactory()
        self._usage = RollingUsage()
        # Calls with a DebuggingHeader in the last 24 hours (the break-glass channel).
        self.debugging_allocation = DebuggingAllocation()
        # Who made the calls, for the event log files (sandbox/salesforce/ledger.py).
        self.ledger = CallLedger()
        self.records.event_logs = EventLogs(self.ledger, settings)
        self.records.permission_assignments = PermissionAssignments(settings)
        self._background = background_caller(settings, "Background integrations")
        self._external: dict[Caller, float] = {}
        self._accrued_to = clock.now()
        self._ignored_activations: set[str] = set()
        self._pending: list[Mutation] | None = None
        self._undo: list[Callable[[], None]] = []
        # Hierarchy custom settings, the triggers reading them, users to freeze.
        self.switches = KillSwitches(self)
        self.switches.ensure_login(self.records.users[settings.user_id])
        # Connected apps and the permission sets granting them (the per-app brake).
        self.connected_apps = ConnectedApps(self)
        self.records.connected_apps = self.connected_apps
        # The consumer syncing the records automations change, and its integration user.
        self.connector = HubSpotConnector(self)
        connector_user = self.add_user(
            self.connector.settings.user_id,
            self.connector.settings.username,
            settings.user_time_zone,
        )
        connector_user.name = "HubSpot Integration"
        self._api = SalesforceApi(self)
        self.refresh_entitlement()

    # --- PlatformApp -----------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        with self.lock:
            self.accrue()
            return self._api.handle(request)

    def fault_response(self, fault: Fault, request: Request) -> Response | None:
        if fault.kind is FaultKind.STATUS:
            return errors.server_error(fault.status)
        if fault.kind is FaultKind.DAILY_LIMIT:
            return errors.total_requests_exceeded()
        if fault.kind is FaultKind.CONCURRENT_LIMIT:
            return errors.concurrent_requests_exceeded()
        if fault.kind is FaultKind.EXPIRED_TOKEN:
            return errors.invalid_session()
        return None  # BURST_LIMIT is not a Salesforce answer

    # --- usage -----------------------------------------------------------------------------

    def record_login(self, now: datetime) -> None:
        """The LoginHistory row of a token grant to apibrake's connected app."""
        with self.lock:
            settings = self.settings
            self.records.logins.append(
                token_grant(settings.user_id, settings.connected_app_name, now, self.ids)
            )

    def accrue(self) -> None:
        """Run the org up to the clock's now: API clients spend calls, automations change
        records, and the connector syncs them (spending calls) cycle by cycle."""
        with self.lock:
            now = self.clock.now()
            start = self._accrued_to
            if now <= start:
                return
            for caller, rate in self._external.items():
                self._usage.add_rate(start, now, rate)
                self.ledger.add_rate(start, now, caller, rate)
            self.switches.accrue(start, now)
            self.connected_apps.accrue(start, now)
            change_records(self, start, now)
            self.connector.collect_actions(start, now)
            for job in running_jobs(self):
                record_runs(self.records, job, start, now)
            self.connector.run_until(now)
            self.connector.changes.prune(now)
            self.records.saved.prune(now)
            self.ledger.prune(now)
            self._accrued_to = now
            # Last: reading the rolling usage ages out what the cycles above still count.
            self.refresh_entitlement()

    def spend_rate(self, start: datetime, end: datetime, caller: Caller, per_hour: float) -> None:
        """Calls an API client makes steadily over [start, end), which may reach past now
        (without accruing: consumers call it mid-accrual; the future counts in its time)."""
        self._usage.add_rate(start, end, per_hour)
        self.ledger.add_rate(start, end, caller, per_hour)

    def spenders_now(self) -> list[tuple[Caller, float]]:
        """Who spends calls at this moment and how many an hour (the connector for the
        records automations change, integration users included): the shares yesterday's
        traffic is split by when a scenario says the same consumers ran yesterday."""
        with self.lock:
            rates = list(self._external.items())
            rates += self.connector.spending_for(record_rates(self))
            rates += self.switches.rates()
            rates += self.connected_apps.rates()
            return [(caller, rate) for caller, rate in rates if rate > 0]

    def refresh_entitlement(self) -> None:
        """The 30-day API entitlement row: allowed 30 daily limits, used 30 times the rolling
        day (a stand-in for Salesforce's own aggregation)."""
        used = self._usage.used(self.clock.now())
        self.records.entitlement = {
            "Id": "0Tu5g000000ApiReq",
            "Setting": "ApiRequests",
            "MasterLabel": "API Requests",
            "AmountUsed": float(used * 30),
            "CurrentAmountAllowed": float(self.settings.daily_limit * 30),
            "OverageGrace": self.settings.overage_pct,
            "Frequency": "Monthly",
        }

    def hard_cap(self) -> int:
        """Where the platform refuses: the daily limit, past it by the overage if any."""
        return int(self.settings.daily_limit * (1 + self.settings.overage_pct / 100))

    def usage(self) -> tuple[int, int]:
        """(calls used in the rolling 24 hours, daily limit) at the clock's now."""
        with self.lock:
            self.accrue()
            return self._usage.used(self.clock.now()), self.settings.daily_limit

    def add_usage(
        self, calls: int, at: datetime | None = None, caller: Caller | None = None
    ) -> None:
        """Calls made at `at` (default now) by `caller` (default the background
        integrations); earlier ones age out of the 24 hours sooner."""
        with self.lock:
            self.accrue()
            self._usage.add(at or self.clock.now(), calls)
            self.ledger.add(at or self.clock.now(), caller or self._background, calls)

    def set_background_rate(self, calls_per_hour: float) -> None:
        """Traffic from consumers apibrake cannot brake (integrations, users)."""
        with self.lock:
            self.accrue()
            self._external[self._background] = calls_per_hour

    def set_flow_rate(self, developer_name: str, records_per_hour: float) -> None:
        """A flow's pace changes from now on (its owner reworked it)."""
        with self.lock:
            self.accrue()
            self.records.flows[developer_name].records_per_hour = records_per_hour

    def rework_flow(self, developer_name: str, records_per_hour: float) -> None:
        """Its owner fixes the flow as Salesforce has it done: a new version saved (not yet
        activated), and the pace it will have from now on."""
        with self.lock:
            self.accrue()
            flow = self.records.flows[developer_name]
            number = max(v.version_number for v in flow.versions) + 1
            flow.versions.append(FlowVersion(self.ids.new(ids.FLOW_VERSION), number, is_draft=True))
            flow.last_modified = self.clock.now()
            flow.records_per_hour = records_per_hour

    def add_external_consumer(
        self, app_name: str, calls_per_hour: float, *, installed_by_hand: bool = False
    ) -> Caller:
        """A connected app (an ETL, a sync) calling at a steady rate; installing it by hand
        writes the SetupAuditTrail row an admin's install would."""
        with self.lock:
            self.accrue()
            caller = background_caller(self.settings, app_name)
            self._external[caller] = calls_per_hour
            if installed_by_hand:
                self.audit_setup(
                    "insertConnectedApplication",
                    "Connected Apps",
                    f"Installed Connected App {app_name} to Salesforce",
                    by=ADMIN_USERNAME,
                )
            return caller

    @property
    def usage_ledger(self) -> RollingUsage:
        return self._usage

    def record_mutation(self, mutation: Mutation) -> None:
        """Audits a change (held back until commit inside a transaction)."""
        self._record(mutation)

    def count_call(self, caller: Caller | None = None) -> None:
        self._usage.add(self.clock.now(), 1)
        self.ledger.add(self.clock.now(), caller or self._background, 1)

    def predate_setup(self, moment: datetime) -> None:
        """The setup rows written while building the org (flows added active) happened at
        `moment` instead: the org was configured before the traffic a scenario backdates."""
        with self.lock:
            now = self.clock.now()
            self.records.setup_audit[:] = [
                replace(row, created_at=moment) if row.created_at == now else row
                for row in self.records.setup_audit
            ]

    def audit_setup(self, action: str, section: str, display: str, *, by: str) -> None:
        """A SetupAuditTrail row (docs/platform-notes.md A4)."""
        self.records.setup_audit.append(
            SetupAuditRow(self.ids.new(ids.SETUP_AUDIT_TRAIL), self.clock.now(), by, action,
                          section, display)
        )  # fmt: skip

    # --- building the org ------------------------------------------------------------------

    def add_flow(
        self,
        developer_name: str,
        *,
        versions: int = 1,
        active_version: int | Literal[_Default.LATEST] | None = LATEST,
        process_type: str = "AutoLaunchedFlow",
        trigger_type: str | None = "RecordAfterSave",
        namespace: str | None = None,
        records_per_hour: float = 0.0,
        records_per_run: int = 0,
        run_every_minutes: int = 60,
        changes_object: str = "Account",
        latest_is_draft: bool = False,
    ) -> FlowDefinition:
        """A flow changing `records_per_hour` records of `changes_object` steadily, or
        `records_per_run` every `run_every_minutes`, while a version is active."""
        if versions < 1:
            raise ValueError("a flow has at least one version")
        with self.lock:
            self.accrue()
            if developer_name in self.records.flows:
                raise ValueError(f"flow {developer_name} already exists")
            flow_versions = [
                FlowVersion(self.ids.new(ids.FLOW_VERSION), number)
                for number in range(1, versions + 1)
            ]
            flow_versions[-1].is_draft = latest_is_draft
            if active_version is LATEST:
                newest_final = versions - 1 if latest_is_draft else versions
                active_version = newest_final or None
            if active_version is not None and not 1 <= active_version <= versions:
                raise ValueError(f"active_version {active_version} is not one of 1..{versions}")
            flow = FlowDefinition(
                id=self.ids.new(ids.FLOW_DEFINITION),
                developer_name=developer_name,
                process_type=process_type,
                trigger_type=trigger_type,
                namespace=namespace,
                versions=flow_versions,
                active_version=active_version,
                created_at=self.clock.now(),
                records_per_hour=records_per_hour,
                records_per_run=records_per_run,
                run_every_minutes=run_every_minutes,
                changes_object=changes_object,
                label=developer_name.replace("_", " "),
            )
            self.records.flows[developer_name] = flow
            if flow.active_version is not None:
                audit_activation(self, flow, None, flow.active_version, "human")
            return flow

    def add_apex_class(
        self,
        name: str,
        constructible: bool = True,
        *,
        namespace: str | None = None,
        constructor_access: str = "public",
    ) -> ApexClass:
        qualified = f"{namespace}.{name}" if namespace else name
        with self.lock:
            existing = self.records.apex_classes.get(qualified)
            if existing:
                existing.constructible = constructible
                existing.constructor_access = constructor_access
                return existing
            apex_class = ApexClass(
                self.ids.new(ids.APEX_CLASS), name, constructible, constructor_access, namespace
            )
            self.records.apex_classes[qualified] = apex_class
            return apex_class

    def add_user(self, user_id: str, username: str, time_zone: str) -> User:
        """A user of the org (a job's owner, say)."""
        with self.lock:
            user = User(user_id, username, time_zone)
            self.records.users[user_id] = user
            return user

    def add_scheduled_job(
        self,
        name: str,
        *,
        cron: str = "0 0 * * * ?",
        apex_class: str = "ScheduledJob",
        time_zone: str = "America/New_York",
        records_per_hour: float = 0.0,
        changes_object: str = "Account",
        state: str = "WAITING",
        owner_id: str | None = None,
        constructible: bool = True,
        namespace: str | None = None,
        constructor_access: str = "public",
        end_time: datetime | None = None,
    ) -> ScheduledJob:
        """A job scheduled before apibrake came (by anyone, in any time zone, in Setup with
        an end date), its runs changing `records_per_hour` records of `changes_object`. An
        EXECUTING job's run is Processing: no Queued AsyncApexJob then."""
        with self.lock:
            self.accrue()
            qualified = f"{namespace}.{apex_class}" if namespace else apex_class
            cls = self.records.apex_classes.get(qualified) or self.add_apex_class(
                apex_class,
                constructible,
                namespace=namespace,
                constructor_access=constructor_access,
            )
            job = self._schedule(name, cron, cls, time_zone)
            job.records_per_hour, job.state, job.end_time = records_per_hour, state, end_time
            job.changes_object = changes_object
            if state == "EXECUTING":
                running = next(a for a in self.records.async_jobs if a.id == job.async_apex_job_id)
                running.status = "Processing"
            if owner_id and owner_id not in self.records.users:
                # Someone else scheduled it, from their own time zone.
                self.add_user(owner_id, f"{owner_id.lower()}@apibrake.sandbox", time_zone)
            job.owner_id = owner_id or job.owner_id
            return job

    # --- reading state ---------------------------------------------------------------------

    def flow(self, developer_name: str) -> FlowDefinition:
        with self.lock:
            return self.records.flows[developer_name]

    def flow_by_id(self, flow_id: str) -> FlowDefinition | None:
        with self.lock:
            key = ids.short(flow_id)
            return next((f for f in self.records.flows.values() if ids.short(f.id) == key), None)

    def jobs(self) -> list[ScheduledJob]:
        with self.lock:
            return list(self.records.jobs.values())

    def job(self, name: str) -> ScheduledJob | None:
        """The scheduled job by name, or None once it has been aborted."""
        with self.lock:
            return self.records.jobs.get(name)

    # --- changes made by people, between brake and release ---------------------------------

    def revoke_permissions(self, *names: str) -> None:
        """Takes user permissions (API names) from the integration user, as an admin would
        by unassigning its permission set."""
        with self.lock:
            unknown = set(names) - permissions.KNOWN
            if unknown:
                raise ValueError(f"unknown permission(s): {', '.join(sorted(unknown))}")
            held = self.settings.granted_permissions
            self.settings.granted_permissions = (permissions.KNOWN if held is None else held) - set(
                names
            )

    def expire_tokens(self) -> None:
        with self.lock:
            self.sessions.expire_all()

    def activate_flow_by_hand(self, developer_name: str, version: int | None) -> None:
        """Activate `version` (0 or None: deactivate) as an admin would in Setup."""
        with self.lock:
            self.accrue()
            flow = self.flow(developer_name)
            if version and flow.version(version) is None:
                raise ValueError(f"{developer_name} has no version {version}")
            self.set_active_version(flow, version or None, actor="human")

    def run_flow_in_system_mode_by_hand(self, developer_name: str) -> None:
        """An admin switches the active version's run mode: Setup records it as an
        "activated" action ending in WithSystemMode (3P Action list), no activation."""
        with self.lock:
            flow = self.flow(developer_name)
            self.audit_setup(
                "activatedinteractiondefversionWithSystemMode",
                "Flows",
                f'Activated "System Mode without Sharing" for version #{flow.active_version} '
                f'of flow with Unique Name "{developer_name}"',
                by=ADMIN_USERNAME,
            )

    def abort_job_by_hand(self, name: str) -> None:
        with self.lock:
            self.accrue()
            job = self.records.jobs.get(name)
            if job is None:
                raise KeyError(name)
            self.abort_job(job.cron_trigger_id, actor="human")

    def ignore_next_activation(self, developer_name: str) -> None:
        """The next activation PATCH for this flow answers 204 and changes nothing (seen live)."""
        with self.lock:
            self._ignored_activations.add(developer_name)

    # --- mutations the API performs ----------------------------------------------------------

    def set_active_version(
        self, flow: FlowDefinition, version: int | None, actor: str = "api"
    ) -> None:
        if actor == "api" and flow.developer_name in self._ignored_activations:
            self._ignored_activations.discard(flow.developer_name)
            self.on_rollback(lambda: self._ignored_activations.add(flow.developer_name))
            return
        before = flow.active_version
        drafts = [v.is_draft for v in flow.versions]
        last_modified = flow.last_modified

        def undo() -> None:
            flow.active_version, flow.last_modified = before, last_modified
            for flow_version, was_draft in zip(flow.versions, drafts, strict=True):
                flow_version.is_draft = was_draft

        self.on_rollback(undo)
        flow.active_version = version
        if version is not None:
            active = flow.version(version)
            if active:
                active.is_draft = False
        flow.last_modified = self.clock.now()
        audit_activation(self, flow, before, version, actor)
        self._record(
            Mutation(
                at=self.clock.now(),
                platform=self.name,
                kind="flow_activation",
                target=flow.developer_name,
                before={"active_version": before},
                after={"active_version": version},
                actor=actor,
            )
        )

    def abort_job(self, job_id: str, actor: str = "api") -> None:
        if not ids.looks_like_id(job_id):
            raise ApexException(f"System.StringException: Invalid id: {job_id}")
        key = ids.short(job_id)
        job = next(
            (j for j in self.records.jobs.values() if ids.short(j.cron_trigger_id) == key), None
        )
        if job is None:
            raise ApexException("System.StringException: Job does not exist or is already aborted.")
        del self.records.jobs[job.name]
        queued = [
            a
            for a in self.records.async_jobs
            if a.cron_trigger_id == job.cron_trigger_id and a.status == "Queued"
        ]
        for async_job in queued:
            async_job.status = "Aborted"

        def undo() -> None:
            self.records.jobs[job.name] = job
            for async_job in queued:
                async_job.status = "Queued"

        self.on_rollback(undo)
        self._record(
            Mutation(
                at=self.clock.now(),
                platform=self.name,
                kind="job_abort",
                target=job.name,
                before=job.describe(),
                after={},
                actor=actor,
            )
        )

    def schedule_job(
        self, name: str, cron: str, class_name: str, actor: str = "api"
    ) -> ScheduledJob:
        apex_class = self.records.apex_classes[class_name]
        job = self._schedule(name, cron, apex_class, None)
        self._record(
            Mutation(
                at=self.clock.now(),
                platform=self.name,
                kind="job_schedule",
                target=name,
                before={},
                after=job.describe(),
                actor=actor,
            )
        )
        return job

    def _schedule(
        self, name: str, cron: str, apex_class: ApexClass, time_zone: str | None
    ) -> ScheduledJob:
        if name in self.records.jobs:
            raise ApexException(
                f'System.AsyncException: The Apex job named "{name}" is already scheduled for '
                "execution."
            )
        scheduled = sum(1 for job in self.records.jobs.values() if job.job_type == "7")
        if scheduled >= self.settings.max_scheduled_jobs:
            raise ApexException(
                "System.AsyncException: You have exceeded the maximum number "
                f"({self.settings.max_scheduled_jobs}) of Apex scheduled jobs."
            )
        try:
            parse(cron)
        except CronError as exc:
            raise ApexException(f"System.StringException: {exc}") from None
        job = ScheduledJob(
            cron_trigger_id=self.ids.new(ids.CRON_TRIGGER),
            cron_job_detail_id=self.ids.new(ids.CRON_JOB_DETAIL),
            async_apex_job_id=self.ids.new(ids.ASYNC_APEX_JOB),
            name=name,
            cron_expression=cron,
            apex_class=apex_class,
            # System.schedule runs in the user's time zone.
            time_zone=time_zone or self.settings.user_time_zone,
            owner_id=self.settings.user_id,
            state="WAITING",
            created_at=self.clock.now(),
        )
        async_job = AsyncApexJob(
            job.async_apex_job_id, apex_class, job.cron_trigger_id, created_at=self.clock.now()
        )
        self.records.jobs[name] = job
        self.records.async_jobs.append(async_job)

        def undo() -> None:
            del self.records.jobs[name]
            self.records.async_jobs.remove(async_job)

        self.on_rollback(undo)
        return job

    # --- all-or-nothing changes --------------------------------------------------------------

    def begin(self) -> None:
        """Start a transaction: changes stay undoable and unaudited until commit."""
        self._pending, self._undo = [], []

    def commit(self) -> None:
        pending, self._pending, self._undo = self._pending or [], None, []
        for mutation in pending:
            self.audit.record(mutation)

    def rollback(self) -> None:
        for undo in reversed(self._undo):
            undo()
        self._pending, self._undo = None, []

    def on_rollback(self, undo: Callable[[], None]) -> None:
        if self._pending is not None:
            self._undo.append(undo)

    def _record(self, mutation: Mutation) -> None:
        if self._pending is not None:
            self._pending.append(mutation)
        else:
            self.audit.record(mutation)
