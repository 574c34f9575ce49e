"""When an incident closes, the monitor may brake and alert for that connection again.

The monitor claims the auto-brake and the critical brake alert once per window (24 h for
Salesforce, until `resetsAt` for HubSpot). Left in place after a release, those claims
would keep the auto-brake off for the rest of the window however high usage climbs again.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from apibrake.warn.rules import AUTO_BRAKE_KEY, rearmed_by_release

logger = logging.getLogger(__name__)


class AlertClaims(Protocol):
    def alert_claims(self, connection_id: str) -> list[dict[str, Any]]: ...

    def release_alert_claim(self, connection_id: str, alert_key: str) -> None: ...


def rearm_brake(claims: AlertClaims, connection_id: str) -> list[str]:
    """Gives back the connection's auto-brake and brake-alert claims; returns their keys.
    Warning thresholds stay claimed: they alert once a window whatever happens."""
    keys = [
        str(claim["sk"])
        for claim in claims.alert_claims(connection_id)
        if claim["sk"] == AUTO_BRAKE_KEY or rearmed_by_release(str(claim["sk"]))
    ]
    for key in keys:
        claims.release_alert_claim(connection_id, key)
    if keys:
        logger.info("brake re-armed", extra={"connection_id": connection_id, "claims": keys})
    return keys
