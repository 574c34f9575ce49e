"""A Salesforce org's soft limit: whether it may run past 100 % of its daily API requests,
and its 30-day entitlement (docs/platform-notes.md S2, S11).

Paid orgs in active status: "If your org reaches or exceeds its daily API request limit,
Salesforce still lets the operations proceed by a certain amount, if possible … A hard cap
is in place", not trials, Developer Edition or sandboxes; usage is aggregated into 30-day
periods. So above 100 % a paid org's reading is "in overage" (calls still served, braking
by API still works) until the platform refuses; the others are refused at 100 %.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

DEVELOPER_EDITION = "Developer Edition"


class Entitlement(BaseModel):
    connection_id: str
    read_at: datetime
    org_type: str | None = None  # Organization.OrganizationType, e.g. "Enterprise Edition"
    sandbox: bool = False
    trial: bool = False
    # The 30-day API entitlement (TenantUsageEntitlement), when the org shows one.
    setting: str | None = None
    used_30d: float | None = None
    allowed_30d: float | None = None
    overage_grace_pct: float | None = None
    frequency: str | None = None

    @property
    def no_overage_reason(self) -> str | None:
        """Why this org is refused at 100 %; None for a paid org that may run past it."""
        if self.sandbox:
            return "a sandbox"
        if self.org_type == DEVELOPER_EDITION:
            return "a Developer Edition org"
        if self.trial:
            return "a trial org"
        return None

    @property
    def percent_30d(self) -> float | None:
        if self.used_30d is None or not self.allowed_30d:
            return None
        return 100.0 * self.used_30d / self.allowed_30d
