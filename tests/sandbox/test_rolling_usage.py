"""The org's rolling 24-hour usage: the fast `used` reads what counting every bucket reads."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.salesforce.usage import WINDOW, RollingUsage, minute_of

START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
_steps = st.lists(
    st.tuples(
        st.sampled_from(["add", "rate", "read"]),
        st.integers(min_value=-90, max_value=3_000),  # minutes from START (some ahead of now)
        st.integers(min_value=0, max_value=500),
    ),
    max_size=40,
)


def _reference(added: list[tuple[datetime, float]], now: datetime) -> int:
    oldest = minute_of(now) - int(WINDOW.total_seconds() // 60) + 1
    total = sum(c for at, c in added if oldest <= minute_of(at) <= minute_of(now))
    return math.floor(total + 1e-6)


@settings(max_examples=150, deadline=None)
@given(_steps)
def test_used_counts_the_current_window_only(steps: list[tuple[str, int, int]]) -> None:
    usage, added = RollingUsage(), []
    now = START
    for action, minutes, calls in steps:
        at = START + timedelta(minutes=minutes)
        if action == "add":
            usage.add(at, calls)
            added.append((at, float(calls)))
        elif action == "rate":
            usage.add_rate(at, at + timedelta(minutes=2), calls * 60.0)
            added += [(at, calls * 60.0 / 60), (at + timedelta(minutes=1), calls * 60.0 / 60)]
        else:
            # The clock only moves forward, as the sandbox's does.
            now = max(now, at)
            assert usage.used(now) == _reference(added, now)


def test_a_call_from_a_day_ago_ages_out_and_one_ahead_of_now_is_not_counted_yet() -> None:
    usage = RollingUsage()
    usage.add(START, 5)
    usage.add(START + timedelta(hours=1), 7)
    assert usage.used(START) == 5
    assert usage.used(START + timedelta(hours=1)) == 12
    assert usage.used(START + WINDOW) == 7
