"""What the monitor returns: one row per connection, healthy or not."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from apibrake.models.attribution import Suspects
from apibrake.models.cadence import Temperature
from apibrake.models.connection import Platform
from apibrake.models.usage import ReadingSource, UsageScope

if TYPE_CHECKING:
    from apibrake.watch.forecast import Forecast
    from apibrake.watch.usage import UsageRead


class HeaderReading(BaseModel):
    """The usage the response headers reported, captured at no extra cost."""

    used: int
    limit: int


class ConnectionCheck(BaseModel):
    connection_id: str
    platform: Platform | None = None  # None when the connection item itself is invalid
    used: int | None = None
    limit: int | None = None
    percent: float | None = None
    remaining: int | None = None
    burn_rate_per_hour: float | None = None
    minutes_to_brake: float | None = None  # None: not reached (before the reset) at this rate
    minutes_to_exhaustion: float | None = None
    resets_at: datetime | None = None  # None for Salesforce: a rolling 24 h window
    source: ReadingSource | None = None
    stale: bool = False
    usage_scope: UsageScope | None = None  # HubSpot: whose calls the figure counts
    usage_gap: str | None = None  # why the figure may miss this connection's own calls
    header_reading: HeaderReading | None = None
    api_calls: int = 0  # calls that count against the platform's daily limit
    auth_calls: int = 0
    alerts_sent: list[str] = Field(default_factory=list)
    auto_brake_triggered: bool = False
    braked_ahead: bool = False  # the brake started before the threshold (brake_ahead)
    # auto_brake: shadow: the brake's plan was asked for (watch/shadow.py), nothing braked.
    shadow_brake_started: bool = False
    limit_exhausted: bool = False
    error: str | None = None
    error_field: str | None = None  # the connection item or secret field at fault
    not_reached: bool = False  # the deadline came first: the next scheduled run checks it
    not_due: bool = False  # a scheduled tick, and its cadence says later
    temperature: Temperature | None = None  # calm, warm or hot: how often it is checked
    next_check_at: datetime | None = None  # when its cadence checks it next
    note: str | None = None
    # Who is spending the calls, gathered (within a small call budget) when an alert is due.
    suspects: Suspects | None = None


class MonitorReport(BaseModel):
    checked_at: datetime
    connections: list[ConnectionCheck] = Field(default_factory=list)
    # Hot connections whose last check is older than their interval plus one tick.
    overdue: list[str] = Field(default_factory=list)

    @property
    def errors(self) -> list[ConnectionCheck]:
        return [check for check in self.connections if check.error]

    @property
    def complete(self) -> bool:
        """False when the deadline left connections unchecked."""
        return not any(check.not_reached for check in self.connections)

    def summary(self) -> dict[str, int]:
        not_reached = sum(check.not_reached for check in self.connections)
        not_due = sum(check.not_due for check in self.connections)
        return {
            "checked": len(self.connections) - not_reached - not_due,
            "not_reached": not_reached,
            "not_due": not_due,
            "overdue": len(self.overdue),
            "errors": len(self.errors),
            "alerts_sent": sum(len(check.alerts_sent) for check in self.connections),
            "auto_brakes": sum(check.auto_brake_triggered for check in self.connections),
        }


def fill_reading(row: ConnectionCheck, outlook: Forecast, read: UsageRead) -> None:
    """The row's usage columns, from the reading and its forecast."""
    row.used = outlook.used
    row.limit = outlook.limit
    row.percent = round(outlook.percent, 2)
    row.remaining = outlook.remaining
    row.burn_rate_per_hour = _round(outlook.burn_rate_per_hour)
    row.minutes_to_brake = _round(outlook.minutes_to_brake)
    row.minutes_to_exhaustion = _round(outlook.minutes_to_exhaustion)
    row.resets_at = read.resets_at
    row.source = read.reading.source
    row.stale = read.reading.stale
    row.usage_scope = read.readings[0].scope
    row.usage_gap = read.gap
    if read.header is not None:
        row.header_reading = HeaderReading(used=read.header.used, limit=read.header.limit)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
