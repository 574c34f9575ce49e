"""A check that got no reading (blocking, in a worker thread): the daily limit already
exhausted, a connection or secret that fails, an item that does not validate. Each is a
row with its error and, once per window, an alert."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from apibrake.attribution import collected_suspects
from apibrake.http.errors import DailyLimitExhausted
from apibrake.models.attribution import Suspects
from apibrake.models.cadence import Temperature
from apibrake.models.connection import Connection, Platform
from apibrake.models.reports import ConnectionFailure
from apibrake.models.usage import UsageReading
from apibrake.warn.publisher import Alert, Severity
from apibrake.warn.rules import (
    AlertKind,
    brake_threshold_alert,
    connection_error_alert,
    exhausted_alert,
)
from apibrake.watch.act import start_auto_brake
from apibrake.watch.forecast import DEFAULT_RATE_WINDOW, burn_rate_per_hour
from apibrake.watch.overage import glass_can_brake, stored_entitlement
from apibrake.watch.report import ConnectionCheck
from apibrake.watch.tools import RunTools, alert_window_ends

logger = logging.getLogger(__name__)

INVALID_ITEM_WINDOW = timedelta(hours=24)
PREVIOUS_CHECK_LOOKBACK = timedelta(hours=6)
EXHAUSTED_NOTE = "no source queried: the org refuses calls until its limit recovers"


class FailureActions:
    def __init__(self, tools: RunTools) -> None:
        self._tools = tools

    def exhausted(
        self,
        connection: Connection,
        row: ConnectionCheck,
        error: DailyLimitExhausted,
        org_id: str | None = None,
    ) -> ConnectionCheck:
        tools = self._tools
        now = tools.clock()
        row.temperature = Temperature.WARM  # the platform refuses calls: minute checks cannot help
        row.limit_exhausted = True
        row.error = str(error)
        row.percent = 100.0
        resets_at = None if connection.platform is Platform.SALESFORCE else error.resets_at
        row.resets_at = resets_at
        ends = alert_window_ends(connection, now, resets_at)
        logger.error("daily API limit exhausted", extra={"connection_id": connection.connection_id})
        won = tools.alerts.claim(connection, [exhausted_alert()], now=now, window_ends=ends)
        if won and connection.platform is Platform.SALESFORCE:
            row.suspects = self._collected_suspects(connection, now)
        row.auto_brake_triggered = self._break_glass(connection, error, now, ends, row.suspects)
        history = (
            tools.state.readings_since(connection.connection_id, now - PREVIOUS_CHECK_LOOKBACK)
            if won
            else []
        )
        limit, rate = usage_before_exhaustion(connection, history, now)
        context = replace(
            tools.context(None, error.message, row.auto_brake_triggered),
            previous_check=previous_check(history, now),
            suspects=row.suspects,
            org_id=org_id,
            entitlement=stored_entitlement(tools.state, connection) if won else None,
            limit_before=limit,
            rate_before_per_hour=rate,
        )
        row.alerts_sent = tools.alerts.send(connection, won, context)
        return row

    def _break_glass(
        self,
        connection: Connection,
        error: DailyLimitExhausted,
        now: datetime,
        ends: datetime,
        suspects: Suspects | None,
    ) -> bool:
        """The break-glass brake, where the allowlist holds a kind Apex can change: a bonus
        to the exhausted alert, whose claim is already held, so any failure here is logged
        and the alert still goes out."""
        try:
            if not glass_can_brake(self._tools.allowlist, connection):
                return False
            reason = f"daily API limit exhausted ({error.message}): break-glass brake"
            started = start_auto_brake(self._tools, connection, reason, now, ends, suspects)
            if started:
                # The exhausted alert says the brake started: once the org is served again
                # in this window, "brake threshold reached" would be news of nothing.
                key = brake_threshold_alert(connection.effective_brake_at).key
                claims = self._tools.claims
                if claims.claim_alert(connection.connection_id, key, now=now, window_ends=ends):
                    claims.confirm_alert_claim(connection.connection_id, key)
            return started
        except Exception:
            logger.exception(
                "break-glass brake not started", extra={"connection_id": connection.connection_id}
            )
            return False

    def failed(
        self, connection: Connection, row: ConnectionCheck, message: str, error_type: str
    ) -> ConnectionCheck:
        """The connection's error alert, once per kind of failure and window."""
        tools = self._tools
        try:
            now = tools.clock()
            ends = alert_window_ends(connection, now, None)
            won = tools.alerts.claim(
                connection, [connection_error_alert(error_type)], now=now, window_ends=ends
            )
            row.alerts_sent = tools.alerts.send(
                connection, won, tools.context(None, message, False)
            )
        except Exception:
            logger.exception(
                "connection error alert failed", extra={"connection_id": row.connection_id}
            )
        return row

    def invalid_item(self, failure: ConnectionFailure) -> ConnectionCheck:
        """A connection item that does not validate: reported, metered, alerted once a day."""
        where = f"field '{failure.field}': " if failure.field else ""
        message = f"connection item invalid: {where}{failure.error}"
        row = ConnectionCheck(
            connection_id=failure.connection_id, error=message, error_field=failure.field
        )
        logger.warning(
            "connection item invalid",
            extra={"connection_id": failure.connection_id, "field": failure.field},
        )
        state = self._tools.state
        now = self._tools.clock()
        key = "error:InvalidItem"
        try:
            if state.claim_alert(
                failure.connection_id, key, now=now, window_ends=now + INVALID_ITEM_WINDOW
            ):
                self._tools.publisher.publish(invalid_item_alert(failure.connection_id, message))
                state.confirm_alert_claim(failure.connection_id, key)
                row.alerts_sent = [key]
        except Exception:
            logger.exception(
                "invalid item alert failed", extra={"connection_id": failure.connection_id}
            )
        return row

    def _collected_suspects(self, connection: Connection, now: datetime) -> Suspects | None:
        """The collected daily summary only: the org refuses calls, none is spent."""
        memory = self._tools.attribution
        if memory is None:
            return None
        cid = connection.connection_id
        try:
            entries = self._tools.allowlist.for_connection(cid)[0]
            return collected_suspects(cid, memory, entries, now, EXHAUSTED_NOTE)
        except Exception:
            logger.exception("suspects not gathered", extra={"connection_id": cid})
            return None


def _last_fresh(readings: list[UsageReading], now: datetime) -> UsageReading | None:
    return max(
        (r for r in readings if r.taken_at < now and not r.stale),
        key=lambda r: r.taken_at,
        default=None,
    )


def previous_check(readings: list[UsageReading], now: datetime) -> tuple[float, float] | None:
    """(minutes ago, percent) of the last reading before the limit ran out: was it
    exhausted between two checks (detection too late)?"""
    last = _last_fresh(readings, now)
    if last is None:
        return None
    return (now - last.taken_at).total_seconds() / 60.0, last.percent


def usage_before_exhaustion(
    connection: Connection, readings: list[UsageReading], now: datetime
) -> tuple[int | None, float | None]:
    """The limit and the burn per hour of the last hour, for the pre-filled raise. Usage
    stands at the limit now (the platform refuses calls), so that point joins the readings:
    a limit spent between two checks still gives a rate, at least the one that spent it."""
    last = _last_fresh(readings, now)
    if last is None or not last.limit:
        return None, None
    spent = UsageReading(
        used=max(last.used, last.limit), limit=last.limit, taken_at=now, source=last.source
    )
    rate = burn_rate_per_hour(
        [*readings, spent],
        now=now,
        window=DEFAULT_RATE_WINDOW,
        resets=connection.platform is Platform.HUBSPOT,
    )
    return last.limit, rate


def invalid_item_alert(connection_id: str, message: str) -> Alert:
    return Alert(
        subject=f"[apibrake] WARNING {connection_id}: connection item invalid, not watched",
        body=(
            f"The connections table item {connection_id} does not validate, so apibrake "
            f"neither watches nor brakes it.\n\n{message}\n\nFix the item (see the README's "
            "connection contract); the next check picks it up.\n"
        ),
        sms=f"apibrake WARNING {connection_id}: {message}"[:160],
        severity=Severity.WARNING,
        connection_id=connection_id,
        platform="",
        kind=AlertKind.CONNECTION_ERROR.value,
        next_steps=(
            f"Fix the connections table item {connection_id}, then check it: "
            f"`apibrake connections test {connection_id}`",
        ),
    )
