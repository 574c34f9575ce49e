"""One monitor run reads a connection's live claims only once one is found held, and then
writes only the free keys."""

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
        held = self.live.setdefault(connection_id, set())
        if alert_key in held:
            return False
        held.add(alert_key)
        return True

    def confirm_alert_claim(self, connection_id: str, alert_key: str) -> None:
        pass  # RunClaims passes it through: nothing to count here

    def confirm_alert_claims(self, connection_id: str, alert_keys: list[str]) -> None:
        pass

    def release_alert_claim(self, connection_id: str, alert_key: str) -> None:
        self.released.append((connection_id, alert_key))
        self.live.get(connection_id, set()).discard(alert_key)


def claim_all(claims: RunClaims, cid: str, *keys: str) -> list[str]:
    return [key for key in keys if claims.claim_alert(cid, key, now=NOW, window_ends=ENDS)]


def test_after_a_held_claim_one_read_spares_the_writes_bound_to_fail() -> None:
    store = CountingStore({"sf": {"warn:70", "warn:80", "brake:90"}})
    won = claim_all(RunClaims(store), "sf", "warn:70", "warn:80", "brake:90", "auto_brake")
    assert won == ["auto_brake"]
    assert store.reads == ["sf"]  # one read for the connection, however many keys
    assert store.writes == [("sf", "warn:70"), ("sf", "auto_brake")]


def test_one_key_due_or_a_fresh_crossing_costs_no_read() -> None:
    held = CountingStore({"sf": {"warn:70"}})
    assert claim_all(RunClaims(held), "sf", "warn:70") == []
    fresh = CountingStore({})
    assert claim_all(RunClaims(fresh), "sf", "warn:70", "warn:80", "brake:90") == [
        "warn:70",
        "warn:80",
        "brake:90",
    ]
    assert held.reads == fresh.reads == []
    assert held.writes == [("sf", "warn:70")]


def test_a_key_is_claimed_once_per_run_and_connections_are_apart() -> None:
    store = CountingStore({})
    claims = RunClaims(store)
    assert claim_all(claims, "sf", "warn:70", "warn:70") == ["warn:70"]
    assert claim_all(claims, "hs", "warn:70") == ["warn:70"]
    assert store.reads == []  # a held claim followed by no other key needs no read
    assert store.writes == [("sf", "warn:70"), ("sf", "warn:70"), ("hs", "warn:70")]


def test_a_lost_write_race_is_a_lost_claim() -> None:
    # The read saw the key free; a concurrent run wrote it first: the write decides.
    store = CountingStore({"sf": {"warn:70"}})
    claims = RunClaims(store)
    assert claim_all(claims, "sf", "warn:70") == []
    original = store.live_alert_claims
    store.live_alert_claims = lambda connection_id, *, now: (
        original(connection_id, now=now) - {"brake:90"}
    )  # type: ignore[method-assign]
    store.live["sf"].add("brake:90")  # another run claims between the read and the write
    assert claim_all(claims, "sf", "brake:90") == []
    assert ("sf", "brake:90") in store.writes


def test_a_claim_given_back_can_be_claimed_again_in_the_same_run() -> None:
    store = CountingStore({"sf": {"warn:70"}})
    claims = RunClaims(store)
    assert claim_all(claims, "sf", "warn:70", "warn:80") == ["warn:80"]
    claims.release_alert_claim("sf", "warn:80")
    assert claim_all(claims, "sf", "warn:80") == ["warn:80"]
    assert store.released == [("sf", "warn:80")]
