"""Acting on a reading (blocking: boto3 calls, run in a worker thread): store it, decide
(watch/decide.py), claim the alerts due, then brake and send.

A check hands its reading to a worker thread once. Only when a won alert carries suspects
does the reading come back to the event loop: their sources are platform calls, made
after the claim (a lost claim spends none) and before the brake (its report's "before" is
what the alert names); then one more thread call brakes and sends. No worker ever waits
on the event loop, so neither an exception nor a cancellation can leave the two waiting
on each other (issue 27).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from apibrake.models.allowlist import AllowlistEntry
from apibrake.models.attribution import Suspects
from apibrake.models.connection import Connection
from apibrake.models.events import BrakeEvent
from apibrake.warn.notices import Notice
from apibrake.warn.rules import AUTO_BRAKE_KEY, MONITOR_REQUESTER, AlertKind, DueAlert
from apibrake.watch.attribution import wants_suspects, with_released_unchanged
from apibrake.watch.decide import (
    Decision,
    decide,
    for_the_tail_alone,
    history_since,
    standing_down,
)
from apibrake.watch.overage import reading_entitlement
from apibrake.watch.report import ConnectionCheck, fill_reading
from apibrake.watch.shadow import (
    SHADOW_BRAKE_KEY,
    brake_reason,
    invoke_once,
    start_shadow_brake,
)
from apibrake.watch.tools import RunTools
from apibrake.watch.usage import UsageRead

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Assessed:
    """A reading stored, decided on, and the alerts due claimed."""

    now: datetime
    decision: Decision
    won: list[DueAlert]


@dataclass(frozen=True)
class SuspectsWanted:
    """Platform calls to make on the event loop before acting: the suspects a won alert
    carries and, before a brake ahead for the tail alone, whether the records' drivers
    are still at work (watch/drivers_now.py); then `finish` acts."""

    assessed: Assessed
    # The connection's allowlist, the sources need it; None: no suspects to gather.
    entries: list[AllowlistEntry] | None
    check_drivers: bool = False


class ReadingActions:
    def __init__(self, tools: RunTools) -> None:
        self._tools = tools

    def assess_and_act(
        self, connection: Connection, row: ConnectionCheck, read: UsageRead
    ) -> ConnectionCheck | SuspectsWanted:
        """Stores, decides and claims; acts at once unless suspects are to be gathered."""
        assessed = self._assess(connection, row, read)
        check_drivers = self._brakes_for_the_tail_alone(connection, assessed)
        entries = None
        if self._tools.attribution is not None and wants_suspects(assessed.won):
            # None when unreadable: attribution is a bonus, the alert goes out without it
            entries = self._allowlist(connection.connection_id)
        if entries is None and not check_drivers:
            return self._act(connection, row, read, assessed)
        return SuspectsWanted(assessed, entries, check_drivers)

    def finish(
        self,
        connection: Connection,
        row: ConnectionCheck,
        read: UsageRead,
        assessed: Assessed,
        suspects: Suspects | None,
        drivers_stopped: bool = False,
    ) -> ConnectionCheck:
        """After the suspects were gathered: brakes if due, sends the alerts won. A brake
        ahead for the tail alone whose drivers have stopped stands down (its claim given
        back): the tail is spent whatever apibrake does."""
        if drivers_stopped:
            assessed = self._stand_down(connection, assessed)
        if suspects is not None and any(d.automation for d in suspects.drivers):
            suspects = self._burning_again(connection.connection_id, suspects)
        row.suspects = suspects
        return self._act(connection, row, read, assessed)

    def _brakes_for_the_tail_alone(self, connection: Connection, assessed: Assessed) -> bool:
        """A brake ahead for the tail alone that would really start now: its alert claim
        won, or (in shadow) the shadow brake not yet asked for in this window. A brake
        started earlier in the window spends no call on the drivers check."""
        decision = assessed.decision
        if not for_the_tail_alone(connection, decision):
            return False
        if any(a.kind is AlertKind.BRAKE_THRESHOLD for a in assessed.won):
            return True
        if not decision.shadow_brake:
            return False
        return self._tools.state.claimed_at(connection.connection_id, SHADOW_BRAKE_KEY) is None

    def _stand_down(self, connection: Connection, assessed: Assessed) -> Assessed:
        braking = [a for a in assessed.won if a.kind is AlertKind.BRAKE_THRESHOLD]
        for alert in braking:
            self._tools.claims.release_alert_claim(connection.connection_id, alert.key)
        logger.info(
            "brake ahead stood down: the drivers stopped changing records",
            extra={"connection_id": connection.connection_id},
        )
        won = [a for a in assessed.won if a.kind is not AlertKind.BRAKE_THRESHOLD]
        return Assessed(assessed.now, standing_down(assessed.decision), won)

    def _assess(self, connection: Connection, row: ConnectionCheck, read: UsageRead) -> Assessed:
        tools = self._tools
        now = tools.clock()
        tools.state.put_readings(connection.connection_id, list(read.readings))
        since = history_since(now, tools.options.rate_window)
        history = tools.state.readings_since(connection.connection_id, since)
        entitlement = reading_entitlement(tools.state, connection, read.reading.percent, now)
        decision = decide(
            connection,
            read,
            history,
            now=now,
            settings=tools.decision_settings,
            entitlement=entitlement,
        )
        fill_reading(row, decision.outlook, read)
        won = tools.alerts.claim(connection, decision.due, now=now, window_ends=read.window_ends)
        return Assessed(now, decision, won)

    def _act(
        self, connection: Connection, row: ConnectionCheck, read: UsageRead, assessed: Assessed
    ) -> ConnectionCheck:
        tools, decision, now = self._tools, assessed.decision, assessed.now
        won = list(assessed.won)
        if decision.shadow_brake and tools.invoker is not None:
            row.shadow_brake_started = start_shadow_brake(
                tools.claims,
                tools.invoker,
                connection,
                outlook=decision.outlook,
                ahead=decision.ahead,
                now=now,
                window_ends=read.window_ends,
                suspects=row.suspects,
            )
        if decision.brake:
            row.auto_brake_triggered = self._brake(
                connection, decision, now, read.window_ends, row.suspects
            )
            row.braked_ahead = row.auto_brake_triggered and decision.ahead is not None
        reach_rate = None
        if decision.if_not_braked is not None and not row.auto_brake_triggered:
            # Braked earlier in this window: is usage still heading for 100 %?
            reach_rate = decision.if_not_braked.rate_now_per_hour
            reach = decision.if_not_braked.outside_reach
            if reach is not None and not self._in_the_tail(connection, now):
                won += tools.alerts.claim(
                    connection, [reach], now=now, window_ends=read.window_ends
                )
        context = replace(
            tools.context(decision.outlook, None, row.auto_brake_triggered),
            rate_now_per_hour=reach_rate,
            suspects=row.suspects,
            brake_ahead=decision.ahead,
            entitlement=decision.entitlement,
        )
        row.alerts_sent = tools.alerts.send(connection, won, context)
        row.alerts_sent += self._send_notices(connection, decision.notices, now)
        row.temperature = decision.heat  # last: a check that failed above is tried next tick
        return row

    def _brake(
        self,
        connection: Connection,
        decision: Decision,
        now: datetime,
        window_ends: datetime,
        suspects: Suspects | None,
    ) -> bool:
        """The automatic brake, once per window: claimed, invoked, then confirmed."""
        reason = brake_reason(connection, decision.outlook, decision.ahead)
        return start_auto_brake(self._tools, connection, reason, now, window_ends, suspects)

    def _in_the_tail(self, connection: Connection, now: datetime) -> bool:
        """Within brake_tail_minutes of the brake, consumers still sync the records changed
        before it: calls going on then are the tail, not something outside apibrake's reach."""
        started = self._tools.state.claimed_at(connection.connection_id, AUTO_BRAKE_KEY)
        return started is not None and now - started < timedelta(minutes=connection.tail_minutes)

    def _send_notices(
        self, connection: Connection, notices: tuple[Notice, ...], now: datetime
    ) -> list[str]:
        """Set-up notices, each once per its period; a failed publish gives the claim back."""
        claims, sent = self._tools.claims, []
        cid = connection.connection_id
        for notice in notices:
            if not claims.claim_alert(cid, notice.key, now=now, window_ends=now + notice.every):
                continue
            try:
                self._tools.publisher.publish(notice.alert)
            except Exception:
                logger.exception("notice not published", extra={"connection_id": cid})
                claims.release_alert_claim(cid, notice.key)
                continue
            claims.confirm_alert_claim(cid, notice.key)
            sent.append(notice.key)
        return sent

    def _allowlist(self, connection_id: str) -> list[AllowlistEntry] | None:
        try:
            return self._tools.allowlist.for_connection(connection_id)[0]
        except Exception:
            logger.exception("suspects not gathered", extra={"connection_id": connection_id})
            return None

    def _burning_again(self, connection_id: str, suspects: Suspects) -> Suspects:
        """The drivers a person released unchanged lately, marked so (one DynamoDB query);
        unmarked when the query fails, the alert goes out all the same."""
        try:
            released = self._tools.state.released_unchanged(connection_id, now=self._tools.clock())
        except Exception:
            logger.exception("released drivers not read", extra={"connection_id": connection_id})
            return suspects
        return with_released_unchanged(suspects, released) if released else suspects


def start_auto_brake(
    tools: RunTools,
    connection: Connection,
    reason: str,
    now: datetime,
    window_ends: datetime,
    suspects: Suspects | None,
) -> bool:
    """Invokes the automatic brake once per window (the AUTO_BRAKE_KEY claim): claimed,
    invoked, then confirmed; the claim given back when the invoke fails."""
    if not connection.brakes_automatically or tools.invoker is None:
        return False
    event = BrakeEvent(
        action="brake",
        connection_id=connection.connection_id,
        reason=reason,
        requested_by=MONITOR_REQUESTER,
        suspects=suspects,  # the brake report's "before": no platform call of its own
        tier=connection.auto_brake_tier,
    )
    return invoke_once(
        tools.claims, tools.invoker, AUTO_BRAKE_KEY, event, now=now, window_ends=window_ends
    )
