"""One reading of a connection's daily API usage."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class ReadingSource(StrEnum):
    LIMITS_ENDPOINT = "limits"  # Salesforce /limits
    USAGE_ENDPOINT = "usage"  # HubSpot daily private-app usage
    RESPONSE_HEADERS = "headers"  # captured for free from any response


class UsageScope(StrEnum):
    """Whose calls a HubSpot usage figure counts (Salesforce's counts every call)."""

    LEGACY_PRIVATE_APPS = "legacy_private_apps"  # account-info v3, 2026-03, 2026-09
    ALL_APP_TYPES = "all_app_types"  # 2027-03-beta: private apps, platform apps, service keys


class UsageReading(BaseModel):
    model_config = ConfigDict(frozen=True)

    used: int = Field(ge=0)
    limit: int = Field(ge=0)
    taken_at: datetime  # when the platform measured it (collectedAt) or when we read it
    source: ReadingSource
    resets_at: datetime | None = None  # HubSpot only; Salesforce is a rolling 24 h window
    stale: bool = False  # HubSpot fetchStatus other than SUCCESS, or an old collectedAt
    per_app: dict[str, tuple[int, int]] = Field(default_factory=dict)  # name -> (used, max)
    scope: UsageScope | None = None  # HubSpot: whose calls the figure counts
    by_app_type: dict[str, int] = Field(default_factory=dict)  # 2027-03-beta's usageByAppType
    # Why the figure may not count this connection's own calls (a service key read through
    # a private-apps-only version): alerted once a day, never a silent 0 %.
    gap: str | None = None

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)

    @property
    def percent(self) -> float:
        """Percent of the limit used; above 100 is real (Salesforce lets usage overshoot)."""
        return 100.0 * self.used / self.limit if self.limit else 0.0
