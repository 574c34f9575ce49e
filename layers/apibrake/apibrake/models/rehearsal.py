"""What a rehearsal proved: one record per connection and automation kind (state table)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from apibrake.models.allowlist import AutomationKind


class RehearsalRecord(BaseModel):
    """The last rehearsal of one kind on one connection: its canary braked and released
    through the incident functions, and the release compared with the state before."""

    connection_id: str
    kind: AutomationKind
    automation: str  # the canary's allowlist key
    rehearsed_at: datetime
    incident_id: str = ""
    braked: bool = False
    released: bool = False
    # The state after the release equals the state before the brake, field by field.
    exact: bool = False
    differences: list[str] = Field(default_factory=list)  # "field: before -> after"
    calls: int = 0  # API calls the brake and the release spent
    seconds: float = 0.0
    # A HubSpot canary with LIST_BRANCH actions: an exact rehearsal proves the portal
    # accepts updates of branching workflows (reported refused: platform notes C11).
    list_branches: bool = False

    @property
    def proven(self) -> bool:
        return self.braked and self.released and self.exact

    @property
    def proves_branch_updates(self) -> bool:
        return self.proven and self.kind is AutomationKind.WORKFLOW and self.list_branches
