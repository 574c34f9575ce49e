"""Events the three functions accept (samples in events/)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from apibrake.models.allowlist import checked_automation_key
from apibrake.models.attribution import Suspects

ConnectionId = Annotated[str, Field(min_length=1, max_length=128)]
AutomationKey = Annotated[str, Field(max_length=300), AfterValidator(checked_automation_key)]
# A restricted brake names a handful of automations (a rehearsal's canaries), never a list
# as long as an allowlist.
ONLY_MAX = 25


class MonitorEvent(BaseModel):
    """The schedule sends `{"scheduled": true}`: only the connections whose cadence says
    they are due are checked. Any other event (an operator's `{}`) checks every connection
    now; `connection_ids` optionally narrows either."""

    model_config = ConfigDict(extra="ignore")

    connection_ids: list[ConnectionId] | None = None
    # The daily schedule's input: collect yesterday's ApiTotalUsage files instead of checking.
    collect: Literal["usage_files"] | None = None
    scheduled: bool = False


class BrakeEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["brake"]
    connection_id: ConnectionId | None = None  # None: every connection
    dry_run: bool = False
    reason: Annotated[str, Field(max_length=500)] = ""
    requested_by: Annotated[str, Field(max_length=200)] = ""
    tier: Annotated[int, Field(ge=1, le=9)] = 1  # brake entries of this tier and below
    # What the monitor knew of the burn when it started the brake (the report's "before");
    # it applies to `connection_id` only.
    suspects: Suspects | None = None
    # Shadow mode (auto_brake: shadow): the monitor asks for the plan only. A dry run that
    # also journals the plan as a shadow incident and alerts "would have braked".
    shadow: bool = False
    # Brake only these allowlist keys of `connection_id` (a rehearsal's canaries), whatever
    # their tier; an entry not on the allowlist refuses the whole brake. No linked brakes.
    only: Annotated[list[AutomationKey], Field(min_length=1, max_length=ONLY_MAX)] | None = None

    @model_validator(mode="after")
    def _shadow_changes_nothing(self) -> BrakeEvent:
        if self.shadow and not self.dry_run:
            raise ValueError("dry_run: must be true for a shadow brake (it changes nothing)")
        return self

    @model_validator(mode="after")
    def _only_names_one_connection(self) -> BrakeEvent:
        if self.only is not None:
            if self.connection_id is None:
                raise ValueError("only: needs connection_id (it names one connection's entries)")
            self.only = sorted(set(self.only))
        return self


class ReleaseEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["release"]
    incident_id: Annotated[str, Field(min_length=1)]
    dry_run: bool = False
    force: bool = False  # operator override: release even if the window has not recovered
    # Release only these allowlist keys' rows (a rehearsal's canary); the incident's other
    # rows (a real brake that joined it) stay braked for the usual release.
    only: Annotated[list[AutomationKey], Field(min_length=1, max_length=ONLY_MAX)] | None = None
    # Release these allowlist keys' held rows too: drivers of the burn a person has fixed
    # (or accepts back unchanged). `force` alone never releases a held row.
    include: Annotated[list[AutomationKey], Field(min_length=1, max_length=ONLY_MAX)] | None = None

    @model_validator(mode="after")
    def _include_sorted(self) -> ReleaseEvent:
        if self.include is not None:
            self.include = sorted(set(self.include))
        return self


class ReleaseRecoveredEvent(BaseModel):
    """The scheduled form: release every incident whose window has recovered."""

    model_config = ConfigDict(extra="ignore")

    action: Literal["release_recovered"] = "release_recovered"
    dry_run: bool = False
