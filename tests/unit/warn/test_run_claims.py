"""One monitor run reads a connection's live claims once and writes only the free keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apibrake.warn.claims import RunClaims

NOW = datetime(2026, 11, 2, 12, tzinfo=UTC)
ENDS = NOW + timedelta(hours=6)


class CountingStore:
    def __init__(self, live: dict[str, set[str]]) -> None:
        self.live = live
        self.reads: list[str] = []
        self.writes: list[tuple[str, str]] = []
        self.released: list[tuple[str, str]] = []

    def live_alert_claims(self, connection_id: str, *, now: datetime) -> set[str]:
        self.reads.append(connection_id)
        return set(self.live.get(connection_id, set()))

    def claim_alert(
        self, connection_id: str, alert_key: str, *, now: datetime, window_ends: datetime
    ) -> bool:
        self.writes.append((connection_id, alert_key))
        return alert_key not in self.live.get(connection_id, set())

    def release_alert_claim(self, connection_id: str, alert_key: str) -> None:
        self.released.append((connection_id, alert_key))


def test_keys_live_in_their_window_cost_no_write() -> None:
    store = CountingStore({"sf": {"warn:70", "warn:80"}})
    claims = RunClaims(store)
    won = [
        key
        for key in ("warn:70", "warn:80", "brake:90", "auto_brake")
        if claims.claim_alert("sf", key, now=NOW, window_ends=ENDS)
    ]
    assert won == ["brake:90", "auto_brake"]
    assert store.reads == ["sf"]  # one read for the connection, however many keys
    assert store.writes == [("sf", "brake:90"), ("sf", "auto_brake")]


def test_a_key_is_claimed_once_per_run_and_connections_are_apart() -> None:
    store = CountingStore({})
    claims = RunClaims(store)
    assert claims.claim_alert("sf", "warn:70", now=NOW, window_ends=ENDS)
    assert not claims.claim_alert("sf", "warn:70", now=NOW, window_ends=ENDS)
    assert claims.claim_alert("hs", "warn:70", now=NOW, window_ends=ENDS)
    assert store.reads == ["sf", "hs"]
    assert store.writes == [("sf", "warn:70"), ("hs", "warn:70")]


def test_a_lost_write_race_is_a_lost_claim() -> None:
    # The read saw the key free; a concurrent run wrote it first: the write decides.
    store = CountingStore({})
    claims = RunClaims(store)
    store.live_alert_claims("sf", now=NOW)  # the read happens...
    store.live["sf"] = {"brake:90"}  # ...then another run claims
    store.reads.clear()
    assert not claims.claim_alert("sf", "brake:90", now=NOW, window_ends=ENDS)


def test_a_claim_given_back_can_be_claimed_again_in_the_same_run() -> None:
    store = CountingStore({})
    claims = RunClaims(store)
    assert claims.claim_alert("sf", "warn:70", now=NOW, window_ends=ENDS)
    claims.release_alert_claim("sf", "warn:70")
    assert claims.claim_alert("sf", "warn:70", now=NOW, window_ends=ENDS)
    assert store.released == [("sf", "warn:70")]
