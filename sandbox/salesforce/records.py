"""The org's records: flows with their versions, Apex classes, scheduled jobs, users, and
hierarchy custom settings with the triggers that read them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sandbox.salesforce.saved_records import SavedRecords

if TYPE_CHECKING:
    from sandbox.salesforce.connected_apps import ConnectedApps
    from sandbox.salesforce.event_logs import EventLogs
    from sandbox.salesforce.permission_sets import PermissionAssignments


@dataclass
class FlowVersion:
    id: str
    version_number: int
    is_draft: bool = False


@dataclass
class FlowDefinition:
    id: str
    developer_name: str
    process_type: str
    trigger_type: str | None
    namespace: str | None
    versions: list[FlowVersion]
    active_version: int | None
    created_at: datetime
    # What it does while active: records it changes (no API calls of its own), steadily
    # or per run, and their object.
    records_per_hour: float = 0.0
    records_per_run: int = 0
    run_every_minutes: int = 60
    changes_object: str = "Account"
    label: str = ""
    last_modified: datetime | None = None

    def version(self, number: int) -> FlowVersion | None:
        return next((v for v in self.versions if v.version_number == number), None)

    @property
    def latest(self) -> FlowVersion:
        return self.versions[-1]

    @property
    def active(self) -> FlowVersion | None:
        return None if self.active_version is None else self.version(self.active_version)

    def status_of(self, version: FlowVersion) -> str:
        if version.version_number == self.active_version:
            return "Active"
        return "Draft" if version.is_draft else "Obsolete"


@dataclass
class ApexClass:
    id: str
    name: str  # ApexClass.Name: no namespace
    constructible: bool = True  # has a no-argument constructor
    # The no-argument constructor's access: public, global or private, or "default" when the
    # class declares none (its SymbolTable lists no constructor). Anonymous Apex reaches a
    # managed (namespaced) class only through a global one.
    constructor_access: str = "public"
    namespace: str | None = None

    @property
    def qualified_name(self) -> str:
        """How Apex names it: `ns.Name` for a managed class."""
        return f"{self.namespace}.{self.name}" if self.namespace else self.name


@dataclass
class User:
    id: str
    username: str
    time_zone: str  # TimeZoneSidKey
    is_active: bool = True
    name: str = ""
    user_type: str = "Standard"
    last_login: datetime | None = None
    # Its UserLogin record (the freeze switch): id, IsFrozen, when it last changed.
    login_id: str = ""
    frozen: bool = False
    login_modified: datetime | None = None
    # An external integration logged in as this user (an ETL): the calls it makes while
    # it can, and when its sessions stopped working (a freeze).
    calls_per_hour: float = 0.0
    stopped_at: datetime | None = None
    # When the integration started logging in (its LoginHistory rows: one an hour from then).
    logins_from: datetime | None = None


@dataclass
class SettingRow:
    """One row of a hierarchy custom setting: the org default, a profile's or a user's."""

    id: str
    setup_owner_id: str
    values: dict[str, Any]
    last_modified: datetime


@dataclass
class HierarchySetting:
    name: str  # API name, e.g. Trigger_Switches__c
    label: str
    key_prefix: str
    fields: dict[str, str]  # custom field -> label (checkboxes)
    hierarchy: bool = True  # False: a list custom setting (no SetupOwnerId)
    rows: dict[str, SettingRow] = field(default_factory=dict)  # by 15-character id

    def field_name(self, name: str) -> str | None:
        return next((f for f in self.fields if f.lower() == name.lower()), None)


@dataclass
class Trigger:
    """An Apex trigger (no API can deactivate it) changing records unless its kill switch,
    a checkbox of a hierarchy setting's org default, is set."""

    name: str
    records_per_hour: float
    setting: str
    field: str
    changes_object: str = "Opportunity"


@dataclass
class ScheduledJob:
    """A CronTrigger with its CronJobDetail and the queued AsyncApexJob pointing to it."""

    cron_trigger_id: str
    cron_job_detail_id: str
    async_apex_job_id: str
    name: str
    cron_expression: str
    apex_class: ApexClass
    time_zone: str
    owner_id: str
    state: str
    created_at: datetime
    records_per_hour: float = 0.0  # records its runs change (no API calls of its own)
    changes_object: str = "Account"
    times_triggered: int = 0
    job_type: str = "7"  # 7 = scheduled Apex
    # CronTrigger.EndTime: scheduled (in Setup) with an end date; System.schedule sets none.
    end_time: datetime | None = None

    def describe(self) -> dict[str, object]:
        """What the audit records about the job."""
        return {
            "id": self.cron_trigger_id,
            "name": self.name,
            "cron": self.cron_expression,
            "apex_class": self.apex_class.name,
            "time_zone": self.time_zone,
            "state": self.state,
        }


@dataclass
class AsyncApexJob:
    id: str
    apex_class: ApexClass
    cron_trigger_id: str | None
    status: str = "Queued"
    job_type: str = "ScheduledApex"
    created_at: datetime | None = None
    completed_at: datetime | None = None


@dataclass(frozen=True)
class SetupAuditRow:
    id: str
    created_at: datetime
    created_by: str  # username
    action: str
    section: str
    display: str


@dataclass(frozen=True)
class LoginRow:
    """One LoginHistory row (docs/platform-notes.md A5): a token grant to a connected app."""

    id: str
    user_id: str
    login_time: datetime
    application: str
    api_type: str = "REST"
    api_version: str = "62.0"
    login_type: str = "Remote Access 2.0"
    status: str = "Success"


@dataclass
class OrgRecords:
    flows: dict[str, FlowDefinition] = field(default_factory=dict)  # by DeveloperName
    apex_classes: dict[str, ApexClass] = field(default_factory=dict)  # by qualified name
    users: dict[str, User] = field(default_factory=dict)  # by Id
    jobs: dict[str, ScheduledJob] = field(default_factory=dict)  # by CronJobDetail.Name
    async_jobs: list[AsyncApexJob] = field(default_factory=list)
    setup_audit: list[SetupAuditRow] = field(default_factory=list)
    logins: list[LoginRow] = field(default_factory=list)  # token grants (LoginHistory)
    event_logs: EventLogs | None = None  # ApiTotalUsage files and event log rows
    # The integration user's permission sets and assignments (PermissionSet queries).
    permission_assignments: PermissionAssignments | None = None
    # Connected apps and the permission sets granting them (sandbox/salesforce/connected_apps.py).
    connected_apps: ConnectedApps | None = None
    settings: dict[str, HierarchySetting] = field(default_factory=dict)  # by lower-case name
    triggers: list[Trigger] = field(default_factory=list)
    saved: SavedRecords = field(default_factory=SavedRecords)  # who last saved which records
    org_id: str = ""  # the Organization record's id
    # The Organization record's kind (OrganizationType, IsSandbox, TrialExpirationDate).
    organization: dict[str, Any] = field(default_factory=dict)
    # The TenantUsageEntitlement row of API requests, kept current by the org (None: none).
    entitlement: dict[str, Any] | None = None
