"""Shadow mode on the monitor's side (auto_brake: shadow): where the automatic brake would
start (the effective brake threshold, or ahead of it), ask incident_responder for the plan
instead of the brake.

The request is claimed once per window under its own key, never the auto-brake's, so a
shadow takes nothing a real brake needs: not its claim, not its idempotency key (a dry run
has none), not its incident (brake/shadow.py journals a shadow incident apart). The
"would have braked" alert goes out from the responder, once the plan says what it would
have changed; the threshold alerts go out from the monitor as with auto_brake false.
"""

from __future__ import annotations

import logging
from datetime import datetime

from apibrake.models.attribution import Suspects
from apibrake.models.connection import Connection
from apibrake.models.events import BrakeEvent
from apibrake.warn.claims import AlertClaims
from apibrake.warn.rules import MONITOR_REQUESTER
from apibrake.warn.trigger import Invoker
from apibrake.watch.ahead import BrakeAhead
from apibrake.watch.forecast import Forecast

logger = logging.getLogger(__name__)

# Claimed once per window, like the auto-brake; a shadow incident is never released, so
# nothing gives it back before the window ends.
SHADOW_BRAKE_KEY = "shadow_brake"


def brake_reason(
    connection: Connection, outlook: Forecast, ahead: BrakeAhead | None, *, shadow: bool = False
) -> str:
    """Why the brake starts (or, in shadow mode, would have started): the brake's `reason`."""
    braked = "would have braked" if shadow else "braked"
    if ahead is not None and ahead.peak_with_tail_percent is not None:
        return (
            f"usage {outlook.percent:.1f}% rising {ahead.rate_per_hour:,.0f} calls/hour: "
            f"braked at the next check, the brake and its {ahead.tail_minutes:g} min tail "
            f"would reach {ahead.peak_with_tail_percent:.0f}% of the limit: {braked} ahead"
        )
    if ahead is not None:
        return (
            f"usage {outlook.percent:.1f}% rising {ahead.rate_per_hour:,.0f} calls/hour "
            f"reaches the brake threshold {ahead.threshold:g}% in "
            f"{ahead.minutes_to_threshold:.1f} min, before the next check and the brake's "
            f"{connection.brake_lead_minutes:g} min: {braked} ahead"
        )
    reached = f"usage {outlook.percent:.1f}% reached brake_at {connection.brake_at:g}%"
    return f"{reached}: {braked}" if shadow else reached


def start_shadow_brake(
    claims: AlertClaims,
    invoker: Invoker,
    connection: Connection,
    *,
    outlook: Forecast,
    ahead: BrakeAhead | None,
    now: datetime,
    window_ends: datetime,
    suspects: Suspects | None,
) -> bool:
    """Asks for the shadow plan, once per window; True when this check asked for it."""
    event = BrakeEvent(
        action="brake",
        connection_id=connection.connection_id,
        dry_run=True,
        shadow=True,
        reason=f"shadow mode: {brake_reason(connection, outlook, ahead, shadow=True)}",
        requested_by=MONITOR_REQUESTER,
        suspects=suspects,
        tier=connection.auto_brake_tier,  # what the real auto-brake would take
    )
    return invoke_once(claims, invoker, SHADOW_BRAKE_KEY, event, now=now, window_ends=window_ends)


def invoke_once(
    claims: AlertClaims,
    invoker: Invoker,
    key: str,
    event: BrakeEvent,
    *,
    now: datetime,
    window_ends: datetime,
) -> bool:
    """Invokes the incident function once per window: the claim under `key` decides, is
    confirmed after the invoke and given back when it fails (the next check asks again).
    True when this check invoked it."""
    cid = event.connection_id
    assert cid is not None
    if not claims.claim_alert(cid, key, now=now, window_ends=window_ends):
        return False  # invoked earlier in this window, by this or a concurrent run
    try:
        invoker.invoke(event)
    except Exception:
        logger.exception("brake invoke failed", extra={"connection_id": cid, "key": key})
        claims.release_alert_claim(cid, key)
        return False
    claims.confirm_alert_claim(cid, key)
    logger.info("brake invoked", extra={"connection_id": cid, "key": key, "dry_run": event.dry_run})
    return True
