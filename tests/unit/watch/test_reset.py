"""Window ends: HubSpot portal midnight from the UTC offset, Salesforce rolling 24 h."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from apibrake.watch.reset import next_local_midnight, parse_utc_offset, window_end

NOW = datetime(2026, 11, 2, 3, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-05:00", timedelta(hours=-5)),
        ("+05:30", timedelta(hours=5, minutes=30)),
        ("+0545", timedelta(hours=5, minutes=45)),
        ("UTC-04:00", timedelta(hours=-4)),
        (-14_400_000, timedelta(hours=-4)),
        ("Europe/Paris", None),
        ("+25:00", None),
        (True, None),
    ],
)
def test_parse_utc_offset(text: object, expected: timedelta | None) -> None:
    assert parse_utc_offset(text) == expected


def test_new_york_midnight_is_five_in_the_morning_utc() -> None:
    # 03:30 UTC is 22:30 the day before in New York (UTC-5): midnight there is 05:00 UTC.
    assert next_local_midnight(NOW, timedelta(hours=-5)) == datetime(2026, 11, 2, 5, 0, tzinfo=UTC)


def test_east_of_utc_midnight_already_passed() -> None:
    # 03:30 UTC is 09:00 in India (UTC+5:30): next midnight is 18:30 UTC the same day.
    expected = datetime(2026, 11, 2, 18, 30, tzinfo=UTC)
    assert next_local_midnight(NOW, timedelta(hours=5, minutes=30)) == expected


def test_window_end_prefers_resets_at_then_midnight_then_rolling() -> None:
    resets = NOW + timedelta(hours=2)
    assert window_end(now=NOW, resets_at=resets, rolling=False, utc_offset=None) == resets
    past = NOW - timedelta(minutes=1)
    assert window_end(now=NOW, resets_at=past, rolling=False, utc_offset=None) == datetime(
        2026, 11, 3, tzinfo=UTC
    )
    assert window_end(now=NOW, resets_at=None, rolling=True, utc_offset=None) == NOW + timedelta(
        hours=24
    )
