"""Who is spending a connection's calls, and what changed before the burn: the suspects an
alert, a report and `apibrake consumers` show."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class AttributionSource(StrEnum):
    """Where a ranking or a change came from, cheapest first (docs/platform-notes.md A1-A6, C9)."""

    DAILY_FILE = "ApiTotalUsage daily file"  # yesterday, collected before it expires
    HOURLY_FILE = "ApiTotalUsage hourly file"  # Event Monitoring licence
    EVENT_LOG_OBJECT = "ApiTotalUsageEventLog"  # Event Monitoring licence, near real time
    # Its COUNT()/GROUP BY, undocumented either way: remembered when refused (plain rows then)
    EVENT_LOG_AGGREGATES = "ApiTotalUsageEventLog aggregates"
    ASYNC_APEX = "AsyncApexJob runs"
    LOGIN_HISTORY = "LoginHistory"  # a hint only: logins, not calls
    SETUP_AUDIT_TRAIL = "SetupAuditTrail"
    RECORD_CHANGES = "record changes"  # LastModifiedById per object, one composite call
    USAGE_BY_APP_TYPE = "usageByAppType"  # HubSpot 2027-03-beta
    NONE = "none"  # no source could tell


class ConsumerKind(StrEnum):
    CONNECTED_APP = "connected_app"
    USER = "user"
    CLIENT = "client"  # CLIENT_NAME / Sforce-Call-Options
    AUTOMATION = "automation"  # a flow, a scheduled Apex class, a HubSpot workflow
    APP_TYPE = "app_type"  # HubSpot: service keys, legacy private apps, platform apps


class Consumer(BaseModel):
    """One spender of calls, ranked by what it spent in the source's window."""

    model_config = ConfigDict(frozen=True)

    name: str  # what a person recognises: "Nightly ETL (connected app)", "flow Account_Rollup"
    kind: ConsumerKind
    calls: int = Field(ge=0)  # runs, for AsyncApexJob; logins, for LoginHistory
    share: float | None = Field(default=None, ge=0, le=1)  # of the counted calls in the window
    # The allowlist key ("flow:Account_Rollup") when this consumer is an automation apibrake
    # can stop, and whether it is on the allowlist (braked) or not (needs a person).
    automation: str | None = None
    allowlisted: bool | None = None
    unit: str = "calls"  # "calls", "runs" or "logins": what `calls` counts
    # Why it is a suspect when no count can say so yet: an automation activated after the
    # newest data the ranking covers ("activated 12:04 UTC by admin@acme.com").
    evidence: str = ""
    # Why it must keep running when it is a protected consumer (the connection's
    # `protected_consumers`, or the HubSpot connector): "" otherwise. Never a stop suggestion.
    protected: str = ""
    # The caller as the source names it (ApiTotalUsage's CONNECTED_APP_NAME, CLIENT_NAME,
    # USER_NAME), when the consumer is a caller: what protection and the chain match on.
    connected_app: str = ""
    client: str = ""
    user: str = ""

    @property
    def identities(self) -> tuple[str, ...]:
        named = tuple(n for n in (self.connected_app, self.client, self.user) if n)
        return named or (self.name,)


class SetupChange(BaseModel):
    """A SetupAuditTrail row (or a job's CronTrigger.CreatedDate) near the burn's start."""

    model_config = ConfigDict(frozen=True)

    at: datetime
    who: str  # username
    action: str  # SetupAuditTrail.Action, e.g. activatedinteractiondefversion
    display: str  # SetupAuditTrail.Display, the sentence a person reads
    automation: str | None = None  # allowlist key when the change names one
    allowlisted: bool | None = None
    by_apibrake: bool = False  # made by apibrake's own user (a release re-activating a flow)


class DriverKind(StrEnum):
    ACTIVATION = "activation"  # SetupAuditTrail: a flow activated
    SCHEDULED_RUNS = "scheduled_runs"  # AsyncApexJob: a scheduled Apex job's runs
    RECORD_CHANGES = "record_changes"  # one object's records changed by one user


class Driver(BaseModel):
    """What woke a consumer: an in-org automation that changed the records it reads. In-org
    automations spend no API calls of their own (docs/platform-notes.md S2), so a
    driver is counted in runs or records changed, never in calls."""

    model_config = ConfigDict(frozen=True)

    name: str  # "flow Account_Rollup", "scheduled Apex job Nightly", "Account records"
    kind: DriverKind
    count: int | None = Field(default=None, ge=0)  # runs or records; None for an activation
    unit: str = ""  # what `count` counts: "runs", "records changed"
    at: datetime | None = None  # when it was activated
    who: str = ""  # who activated it, or the user whose changes these are
    automation: str | None = None  # the allowlist key when apibrake can stop it
    allowlisted: bool | None = None
    evidence: str = ""  # e.g. "activated after the newest usage data"
    # When a person released it from an earlier incident without reworking it (within the
    # last days): this burn is that runaway again (issue 25).
    released_unchanged_at: datetime | None = None


class Suspects(BaseModel):
    """The best story a connection's sources can tell at one moment."""

    connection_id: str
    source: AttributionSource = AttributionSource.NONE
    data_as_of: datetime | None = None  # the newest event the ranking covers (its age)
    window_start: datetime | None = None
    window_end: datetime | None = None
    consumers: list[Consumer] = Field(default_factory=list)  # best first
    changes: list[SetupChange] = Field(default_factory=list)  # newest first
    # The chain's second half: what changed the records the consumers read (activations
    # newest first, then record changes and scheduled runs, most first).
    drivers: list[Driver] = Field(default_factory=list)
    # What else a person should know: a source not available and why, HubSpot's per-app
    # figures being in its UI only (with the page), a hint from LoginHistory.
    notes: list[str] = Field(default_factory=list)
    api_calls: int = 0  # what gathering this cost (at most the per-alert budget)

    @property
    def top(self) -> Consumer | None:
        return self.consumers[0] if self.consumers else None
