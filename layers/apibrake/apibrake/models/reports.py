"""What brake and release return and publish: one row per automation."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from apibrake.models.allowlist import AutomationKind
from apibrake.models.attribution import Suspects
from apibrake.models.automation_text import with_label
from apibrake.models.connection import Platform


class RowStatus(StrEnum):
    BRAKED = "braked"
    ALREADY_OFF = "already_off"
    WOULD_BRAKE = "would_brake"
    RELEASED = "released"
    WOULD_RELEASE = "would_release"
    FAILED = "failed"
    SKIPPED = "skipped"
    NEEDS_HUMAN = "needs_human"
    HELD = "held"  # release kept it braked: it drove the burn and is unchanged since


class AutomationRow(BaseModel):
    platform: Platform
    connection_id: str
    kind: AutomationKind | None  # None when the allowlist entry itself was malformed
    name: str
    # The name the platform shows, when the key does not say it (a HubSpot workflow's id).
    label: str | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    status: RowStatus
    error: str | None = None
    note: str | None = None  # what the change means (HubSpot: off is not a pause)

    @property
    def automation(self) -> str:
        """The allowlist's key, `kind:name` ('?' for a malformed entry's kind)."""
        return f"{self.kind.value if self.kind else '?'}:{self.name}"

    @property
    def named_automation(self) -> str:
        """The key with the platform's name beside it: `workflow:2001 (Enrichment)`."""
        return with_label(self.automation, self.label)


class FailureCode(StrEnum):
    """What kind of trouble a connection-level failure is, for programs (the CLI's exit
    codes, alarms, pagers); `error` says it for people."""

    LIMIT_EXHAUSTED = "limit_exhausted"  # the platform refuses calls: a person must act
    NOT_FOUND = "not_found"  # no such incident or connection
    BUSY = "busy"  # another invocation works on the incident: nothing done here
    SECRET = "secret"  # noqa: S105 - a failure code: the connection's secret is missing or invalid
    NOT_RECOVERED = "not_recovered"  # release waits: the window has not recovered yet
    ALERT = "alert"  # the alert could not be published; the action itself stands
    INVALID = "invalid"  # a stored item (a connection) does not validate: `field` names it
    FAILED = "failed"  # anything else (the error says what)


class ConnectionFailure(BaseModel):
    """A connection that could not be processed; the others still were."""

    connection_id: str
    code: FailureCode = FailureCode.FAILED
    field: str | None = None
    error: str


class IncidentReport(BaseModel):
    incident_id: str
    action: str  # brake | release
    dry_run: bool
    api_calls: dict[str, int] = Field(default_factory=dict)  # per connection
    # Dry run: the calls the real action would spend, per connection.
    planned_calls: dict[str, int] = Field(default_factory=dict)
    # connection_id -> its incident (one run may brake several connections).
    incidents: dict[str, str] = Field(default_factory=dict)
    rows: list[AutomationRow] = Field(default_factory=list)
    errors: list[ConnectionFailure] = Field(default_factory=list)
    complete: bool = True  # False when the deadline stopped work; a re-invocation resumes
    # Per connection: who burned the calls before the brake (what the monitor knew when it
    # braked) and after it (what the sources knew at release). Absent when nothing was known.
    suspects_before: dict[str, Suspects] = Field(default_factory=dict)
    suspects_after: dict[str, Suspects] = Field(default_factory=dict)
