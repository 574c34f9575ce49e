"""What brake and release return and publish: one row per automation."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from apibrake.models.allowlist import AutomationKind
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


class AutomationRow(BaseModel):
    platform: Platform
    connection_id: str
    kind: AutomationKind | None  # None when the allowlist entry itself was malformed
    name: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    status: RowStatus
    error: str | None = None


class ConnectionFailure(BaseModel):
    """A connection that could not be processed; the others still were."""

    connection_id: str
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
