"""Alert claims as one monitor run sees them: a connection's live claims read at most once.

Above a threshold, every check finds the same alerts due (warn:70, warn:80, brake:90, the
auto-brake), and each claim is a conditional write bound to fail after the first. Once one
claim of a connection is found held, one strongly consistent read of its live claims spares
the writes for the keys that follow. The read comes only then: a check with one key due, or
a fresh crossing whose writes all win, costs what it did before. The write stays the arbiter
for every key the read does not show as live, and the read is consistent, so a claim given
back a moment ago (publish failed, brake re-armed after a release) counts as free.

A claim is pending until its alert is published: one whose invocation was cut off between
the two is given up after the store's grace, and a later tick of the window sends it. So
an alert goes out at least once: twice only when an invocation dies in the moment between
a publish and its confirmation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class AlertClaims(Protocol):
    def claim_alert(
        self, connection_id: str, alert_key: str, *, now: datetime, window_ends: datetime
    ) -> bool: ...

    def confirm_alert_claim(self, connection_id: str, alert_key: str) -> None: ...

    def confirm_alert_claims(self, connection_id: str, alert_keys: list[str]) -> None: ...

    def release_alert_claim(self, connection_id: str, alert_key: str) -> None: ...


class ClaimStore(AlertClaims, Protocol):
    def live_alert_claims(self, connection_id: str, *, now: datetime) -> set[str]: ...


class RunClaims:
    """AlertClaims for one monitor run; connections' sets are apart, so each connection's
    worker thread touches only its own."""

    def __init__(self, store: ClaimStore) -> None:
        self._store = store
        self._live: dict[str, set[str]] = {}  # read from the store, per connection
        self._held: set[str] = set()  # connections with a claim found held in this run

    def claim_alert(
        self, connection_id: str, alert_key: str, *, now: datetime, window_ends: datetime
    ) -> bool:
        if connection_id in self._held and connection_id not in self._live:
            self._live[connection_id] = self._store.live_alert_claims(connection_id, now=now)
        live = self._live.get(connection_id)
        if live is not None:
            if alert_key in live:
                return False
            live.add(alert_key)  # won or lost, it is claimed for the rest of this run
        won = self._store.claim_alert(connection_id, alert_key, now=now, window_ends=window_ends)
        if not won:
            self._held.add(connection_id)
        return won

    def confirm_alert_claim(self, connection_id: str, alert_key: str) -> None:
        self._store.confirm_alert_claim(connection_id, alert_key)

    def confirm_alert_claims(self, connection_id: str, alert_keys: list[str]) -> None:
        self._store.confirm_alert_claims(connection_id, alert_keys)

    def release_alert_claim(self, connection_id: str, alert_key: str) -> None:
        self._store.release_alert_claim(connection_id, alert_key)
        self._live.get(connection_id, set()).discard(alert_key)
