"""Which alerts a reading calls for. Pure: claiming and publishing happen in `dispatch`.

Severity escalates: a forecast is `info`, a warn_at threshold `warning`, and brake_at,
100 % and an exhausted limit are `critical`. The brake threshold is the connection's
`effective_brake_at`: brake_at, lowered so that `reserve_pct` of the limit is left for the
brake's own calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from apibrake.models.connection import Connection
from apibrake.warn.publisher import Severity
from apibrake.watch.forecast import Forecast

FULL = 100.0
BRAKE_KEY_PREFIX = "brake:"
OUTSIDE_REACH_KEY = "outside_reach"
# The monitor claims the auto-brake once per window; closing an incident gives it back.
AUTO_BRAKE_KEY = "auto_brake"
# Who the automatic brake says asked for it (the brake event's `requested_by`).
MONITOR_REQUESTER = "usage_monitor"


class AlertKind(StrEnum):
    FORECAST = "forecast"
    THRESHOLD = "threshold"
    BRAKE_THRESHOLD = "brake_threshold"
    LIMIT_EXHAUSTED = "limit_exhausted"
    # Past 100 % and still served: a paid Salesforce org's soft limit (models/entitlement.py)
    IN_OVERAGE = "in_overage"
    OUTSIDE_REACH = "outside_reach"
    CONNECTION_ERROR = "connection_error"


@dataclass(frozen=True)
class DueAlert:
    key: str  # claimed once per connection and window, e.g. "warn:70"
    kind: AlertKind
    severity: Severity
    threshold: float | None = None

    @property
    def rank(self) -> tuple[int, float]:
        """Higher ranks win when several alerts are due in one check."""
        order = list(Severity)
        return order.index(self.severity), self.threshold or 0.0


def _pct(value: float) -> str:
    return f"{value:g}"


def usage_alerts(
    connection: Connection, forecast: Forecast, *, horizon_minutes: float, in_overage: bool = False
) -> list[DueAlert]:
    """Every alert this forecast crosses, lowest first (the dispatcher claims them all and
    publishes the highest, so a jump from 50 % to 95 % sends one message, not three).
    `in_overage`: the reading is past 100 % and was served (a paid org's soft limit): its
    own alert, so the refusal that may follow still gets the "exhausted" one."""
    percent = forecast.percent
    brake_at = connection.effective_brake_at
    due = [
        DueAlert(f"warn:{_pct(level)}", AlertKind.THRESHOLD, Severity.WARNING, level)
        for level in connection.warn_at
        if percent >= level
    ]
    if percent >= brake_at:
        due.append(brake_threshold_alert(brake_at))
    if percent >= FULL:
        due.append(overage_alert() if in_overage else exhausted_alert())
    minutes = forecast.minutes_to_brake
    if percent < brake_at and minutes is not None and minutes <= horizon_minutes:
        due.append(
            DueAlert(
                f"forecast:{_pct(brake_at)}",
                AlertKind.FORECAST,
                Severity.INFO,
                brake_at,
            )
        )
    return sorted(due, key=lambda alert: alert.rank)


def brake_threshold_alert(brake_at: float) -> DueAlert:
    """The critical alert of the brake threshold: reached, or braked ahead of it (one key
    for both, so an incident braked ahead does not alert again when usage gets there)."""
    return DueAlert(
        f"{BRAKE_KEY_PREFIX}{_pct(brake_at)}",
        AlertKind.BRAKE_THRESHOLD,
        Severity.CRITICAL,
        brake_at,
    )


def exhausted_alert() -> DueAlert:
    """100 % reached, or the platform already refuses calls: braking by API is over."""
    return DueAlert("limit:100", AlertKind.LIMIT_EXHAUSTED, Severity.CRITICAL, FULL)


def overage_alert() -> DueAlert:
    """Past 100 %, and the platform still serves calls (up to a hard cap it does not publish)."""
    return DueAlert("overage:100", AlertKind.IN_OVERAGE, Severity.CRITICAL, FULL)


def outside_reach_alert(
    forecast: Forecast, rate_since_last_check: float | None, *, horizon_minutes: float
) -> DueAlert | None:
    """The brake has run, yet usage still heads for 100 % within the horizon: what burns
    is outside apibrake's reach, and only a person can stop it."""
    if rate_since_last_check is None or rate_since_last_check <= 0 or forecast.percent >= FULL:
        return None
    minutes = forecast.remaining / rate_since_last_check * 60.0
    if minutes > horizon_minutes:
        return None
    if forecast.minutes_to_reset is not None and minutes > forecast.minutes_to_reset:
        return None
    return DueAlert(OUTSIDE_REACH_KEY, AlertKind.OUTSIDE_REACH, Severity.CRITICAL, FULL)


def connection_error_alert(error_type: str) -> DueAlert:
    """One per kind of failure and window, so a new kind of failure is news again."""
    return DueAlert(f"error:{error_type}", AlertKind.CONNECTION_ERROR, Severity.WARNING)


def rearmed_by_release(alert_key: str) -> bool:
    """Claims a closed incident gives back: if usage climbs over the brake threshold again,
    that is a new incident and deserves its critical alert (warnings stay once a window)."""
    return alert_key.startswith(BRAKE_KEY_PREFIX) or alert_key == OUTSIDE_REACH_KEY
