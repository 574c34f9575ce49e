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


class Suspects(BaseModel):
    """The best story a connection's sources can tell at one moment."""

    connection_id: str
    source: AttributionSource = AttributionSource.NONE
    data_as_of: datetime | None = None  # the newest event the ranking covers (its age)
    window_start: datetime | None = None
    window_end: datetime | None = None
    consumers: list[Consumer] = Field(default_factory=list)  # best first
    changes: list[SetupChange] = Field(default_factory=list)  # newest first
    # What else a person should know: a source not available and why, HubSpot's per-app
    # figures being in its UI only (with the page), a hint from LoginHistory.
    notes: list[str] = Field(default_factory=list)
    api_calls: int = 0  # what gathering this cost (at most the per-alert budget)

    @property
    def top(self) -> Consumer | None:
        return self.consumers[0] if self.consumers else None
