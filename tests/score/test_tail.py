"""The tail after a brake (drill/score/tail.py): what the consumer kept spending, and when
its spending stopped (pure: samples built by hand)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from drill.score.measures import landings
from drill.score.recorder import Recorded
from drill.score.tail import Tail, first_release, tail_after

T0 = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)


def _minutes(*totals: float) -> list[tuple[datetime, float]]:
    """A consumer's running total, one sample a minute from T0."""
    return [(T0 + timedelta(minutes=i), total) for i, total in enumerate(totals)]


def test_a_connector_cycle_after_the_brake_is_the_tail() -> None:
    # Given the brake lands at minute 2 and the connector syncs 900 more at minute 5
    samples = _minutes(0, 100, 100, 100, 100, 1_000, 1_000, 1_000)
    tail = tail_after(samples, landed=T0 + timedelta(minutes=2), until=samples[-1][0])
    # Then the tail is those 900 calls, flat three minutes after the brake
    assert tail == Tail(900, 3.0)


def test_a_consumer_still_spending_at_the_end_has_no_flat_line() -> None:
    samples = _minutes(0, 10, 20, 30, 40)
    tail = tail_after(samples, landed=T0 + timedelta(minutes=1), until=samples[-1][0])
    assert tail == Tail(30, None)


def test_spending_after_the_release_is_no_tail() -> None:
    samples = _minutes(0, 0, 0, 500, 900)
    tail = tail_after(samples, landed=T0, until=T0 + timedelta(minutes=2))
    assert tail == Tail(0, 0.0)


def test_the_tail_ends_at_the_first_release_after_the_landing() -> None:
    releases = [
        Recorded(T0, {"rows": [{"connection_id": "sf-prod", "status": "released"}]}),
        Recorded(
            T0 + timedelta(hours=1), {"rows": [{"connection_id": "hs-portal", "status": "failed"}]}
        ),
        Recorded(
            T0 + timedelta(hours=2),
            {"rows": [{"connection_id": "hs-portal", "status": "released"}]},
        ),
    ]
    assert first_release(releases, after=T0 + timedelta(minutes=1)) == T0 + timedelta(hours=2)


def test_a_linked_brake_lands_on_the_connection_it_drives() -> None:
    # Given Salesforce's brake turned off a HubSpot workflow whose actions spend its calls
    linked = Recorded(
        T0,
        {
            "incidents": {"sf-prod": "inc-1", "hs-portal": "inc-1"},
            "rows": [{"connection_id": "hs-portal", "status": "braked"}],
        },
    )
    other = Recorded(T0, {"rows": [{"connection_id": "hs-portal", "status": "braked"}]})
    # Then that brake landed on Salesforce too; a HubSpot brake alone did not
    assert landings([linked], "sf-prod") == [T0]
    assert landings([other], "sf-prod") == []
