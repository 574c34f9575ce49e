"""Claim, word and publish alerts: each once per connection, key and window.

The claim is a conditional write in the state table, so two monitors running at once
cannot both send the same alert. A claim whose publish failed is released so the next
run tries again; one that was published is confirmed (see warn/claims.py: pending claims).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Protocol

from apibrake.models.allowlist import AllowlistEntry
from apibrake.models.connection import Connection
from apibrake.warn.claims import AlertClaims
from apibrake.warn.messages import AlertContext, compose
from apibrake.warn.publisher import Alert
from apibrake.warn.rules import DueAlert

logger = logging.getLogger(__name__)


class Publisher(Protocol):
    def publish(self, alert: Alert) -> str: ...


class AlertDispatcher:
    def __init__(
        self,
        claims: AlertClaims,
        publisher: Publisher,
        allowlist: Callable[[str], Sequence[AllowlistEntry]],
    ) -> None:
        self._claims = claims
        self._publisher = publisher
        self._allowlist = allowlist

    def claim(
        self,
        connection: Connection,
        due: Sequence[DueAlert],
        *,
        now: datetime,
        window_ends: datetime,
    ) -> list[DueAlert]:
        """The alerts this caller won (the others were sent earlier in the window)."""
        return [
            alert
            for alert in due
            if self._claims.claim_alert(
                connection.connection_id, alert.key, now=now, window_ends=window_ends
            )
        ]

    def send(
        self, connection: Connection, won: Sequence[DueAlert], context: AlertContext
    ) -> list[str]:
        """Publishes the most severe of the won alerts, mentioning the rest; returns the keys
        sent. Claims are released if publishing fails."""
        if not won:
            return []
        top = max(won, key=lambda alert: alert.rank)
        others = [alert.key for alert in won if alert is not top]
        # Canaries are never braked for real: an alert never lists them to switch off.
        entries = [e for e in self._allowlist(connection.connection_id) if not e.canary]
        full = replace(context, allowlist=entries, also_crossed=others)
        try:
            self._publisher.publish(compose(connection, top, full))
        except Exception:
            logger.exception(
                "alert publish failed; releasing claims",
                extra={"connection_id": connection.connection_id, "alert": top.key},
            )
            for alert in won:
                self._claims.release_alert_claim(connection.connection_id, alert.key)
            raise
        keys = [alert.key for alert in won]
        try:
            self._claims.confirm_alert_claims(connection.connection_id, keys)
        except Exception:  # sent all the same: the claims lapse and may send it once more
            logger.exception(
                "alert sent, claims not confirmed",
                extra={"connection_id": connection.connection_id, "alert": top.key},
            )
        return keys
