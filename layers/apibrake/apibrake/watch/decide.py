"""The monitor's decision on one reading: pure, so a table of cases tests it.

Given the reading, the connection's settings, the readings stored before it and the time,
`decide` says what is due: the forecast, how hot the connection is (how soon it is checked
again), the alerts to claim, whether the automatic brake starts (ahead of the threshold
when the climb or the hourly steps say it would be passed before the next check), whether
a shadow brake asks for its plan, what to check when the brake is due but did not start,
and the set-up notices. The claims, the brake and the publishing are the actions'
(watch/act.py); nothing here reads a store, a clock or the network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from apibrake.models.cadence import Temperature
from apibrake.models.connection import Connection, Platform
from apibrake.models.entitlement import Entitlement
from apibrake.models.usage import UsageReading
from apibrake.warn.notices import Notice, connection_notices
from apibrake.warn.rules import (
    AlertKind,
    DueAlert,
    brake_threshold_alert,
    outside_reach_alert,
    usage_alerts,
)
from apibrake.watch import cadence, pace
from apibrake.watch.ahead import BrakeAhead, brake_ahead
from apibrake.watch.cadence import Intervals
from apibrake.watch.forecast import Forecast, forecast, rate_since_last_check
from apibrake.watch.usage import UsageRead


@dataclass(frozen=True)
class DecisionSettings:
    """What the decision needs of the monitor's own configuration."""

    horizon_minutes: float
    rate_window: timedelta
    # An incident responder to invoke: without one nothing brakes, not even in shadow.
    responder: bool


@dataclass(frozen=True)
class IfNotBraked:
    """The brake was due but did not start (it started earlier in this window): usage still
    heading for 100 % is outside apibrake's reach, unless it is the brake's own tail (a
    store read the actions make)."""

    rate_now_per_hour: float | None
    outside_reach: DueAlert | None


@dataclass(frozen=True)
class Decision:
    outlook: Forecast
    heat: Temperature  # how soon the cadence checks it again
    rate_now_per_hour: float | None  # since the previous reading of the same source
    due: tuple[DueAlert, ...]  # to claim, lowest first (the brake's alert when braked ahead)
    ahead: BrakeAhead | None  # the brake starts (or, in shadow, would start) ahead
    brake: bool  # start the automatic brake (claimed once per window)
    shadow_brake: bool  # ask for the shadow brake's plan (claimed once per window)
    if_not_braked: IfNotBraked | None  # what to check when `brake` claims nothing
    notices: tuple[Notice, ...]  # set-up notices, each claimed once per its period
    entitlement: Entitlement | None = None  # a Salesforce reading at 100 % or past it


def history_since(now: datetime, rate_window: timedelta) -> datetime:
    """How far back the decision reads: the hour's rate needs one hour; the pace of hourly
    steps, three (watch/pace.py)."""
    return now - max(rate_window, pace.history_needed())


def decide(
    connection: Connection,
    read: UsageRead,
    history: Sequence[UsageReading],
    *,
    now: datetime,
    settings: DecisionSettings,
    entitlement: Entitlement | None = None,
) -> Decision:
    """`entitlement`: the org's soft limit, given for a Salesforce reading at 100 % or past
    it (watch/overage.py): served past 100 %, it is in overage unless the org has none."""
    outlook = forecast(
        read.reading,
        history,
        now=now,
        brake_at=connection.brake_at,
        resets_at=read.resets_at,
        window=settings.rate_window,
    )
    same_source = [*(r for r in history if r.source is read.reading.source), read.reading]
    rate_now = rate_since_last_check(same_source, now=now, resets=read.resets_at is not None)
    heat = cadence.temperature(
        connection, outlook, rate_now_per_hour=rate_now, horizon_minutes=settings.horizon_minutes
    )
    due = usage_alerts(
        connection,
        outlook,
        horizon_minutes=settings.horizon_minutes,
        in_overage=entitlement is not None and entitlement.no_overage_reason is None,
    )
    ahead = None
    if not _threshold_due(due):
        ahead = _brake_ahead(connection, same_source, heat, now, read, rate_now, settings)
        if ahead is not None and connection.brakes_automatically:  # a shadow brakes nothing
            due = [*due, brake_threshold_alert(connection.effective_brake_at)]
    threshold_due = _threshold_due(due)
    brake = threshold_due and connection.brakes_automatically and settings.responder
    if_not_braked = None
    if brake and ahead is None:
        reach = outside_reach_alert(outlook, rate_now, horizon_minutes=settings.horizon_minutes)
        if_not_braked = IfNotBraked(rate_now, reach)
    return Decision(
        outlook=outlook,
        heat=heat,
        rate_now_per_hour=rate_now,
        due=tuple(due),
        ahead=ahead,
        brake=brake,
        shadow_brake=(
            connection.brakes_in_shadow
            and (threshold_due or ahead is not None)
            and settings.responder
        ),
        if_not_braked=if_not_braked,
        notices=tuple(
            connection_notices(connection, gap=read.gap, api_versions=read.api_versions, now=now)
        ),
        entitlement=entitlement,
    )


def for_the_tail_alone(connection: Connection, decision: Decision) -> bool:
    """A Salesforce brake ahead that only the tail calls for (usage would not cross the
    threshold before the next check), about to start for real or in shadow: it stands down
    if the records' drivers have already stopped (watch/drivers_now.py)."""
    ahead = decision.ahead
    if ahead is None or ahead.peak_with_tail_percent is None or ahead.hourly_steps:
        return False
    return connection.platform is Platform.SALESFORCE and (decision.brake or decision.shadow_brake)


def standing_down(decision: Decision) -> Decision:
    """The decision without its brake ahead: no brake, no shadow brake, no brake alert."""
    return replace(
        decision,
        due=tuple(alert for alert in decision.due if alert.kind is not AlertKind.BRAKE_THRESHOLD),
        ahead=None,
        brake=False,
        shadow_brake=False,
        if_not_braked=None,
    )


def _threshold_due(due: Sequence[DueAlert]) -> bool:
    return any(alert.kind is AlertKind.BRAKE_THRESHOLD for alert in due)


def _brake_ahead(
    connection: Connection,
    readings: list[UsageReading],
    heat: Temperature,
    now: datetime,
    read: UsageRead,
    rate_now: float | None,
    settings: DecisionSettings,
) -> BrakeAhead | None:
    """Only where the brake would really start: brake_ahead and auto_brake on (or in
    shadow, which plans where it would start), and a responder to start. Ahead of a fast
    climb, else before the next of hourly steps."""
    watched = connection.brakes_automatically or connection.brakes_in_shadow
    if not (connection.brake_ahead and watched and settings.responder):
        return None
    next_check = Intervals.of(connection).of_temperature(heat).total_seconds() / 60.0
    return brake_ahead(
        readings,
        threshold=connection.effective_brake_at,
        look_ahead_minutes=next_check + connection.brake_lead_minutes,
        now=now,
        resets=read.resets_at is not None,
        tail_minutes=connection.tail_minutes,
    ) or pace.brake_before_next_step(
        readings,
        threshold=connection.effective_brake_at,
        now=now,
        resets_at=read.resets_at,
        rate_now_per_hour=rate_now,
        tail_minutes=connection.tail_minutes,
        # Below release_below the scheduled release would put it all back before the
        # next step: such a brake would stop nothing and alert again every hour.
        floor=connection.release_below,
    )
