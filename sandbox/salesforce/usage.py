"""The org's API usage over a rolling 24 hours: calls kept in per-minute buckets so that
headroom returns gradually as calls from a day earlier age out."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import UTC, datetime, timedelta

WINDOW = timedelta(hours=24)
_WINDOW_MINUTES = int(WINDOW.total_seconds() // 60)
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def minute_of(moment: datetime) -> int:
    return int((moment - _EPOCH).total_seconds() // 60)


class RollingUsage:
    def __init__(self) -> None:
        self._buckets: dict[int, float] = defaultdict(float)
        # Bounds of the bucket keys: `used` prunes only when the oldest has aged out and sums
        # at C speed when no bucket lies ahead of `now` (read on every request, it was the
        # sandbox's hottest loop).
        self._oldest: int | None = None
        self._newest: int | None = None

    def _bucket(self, minute: int, calls: float) -> None:
        self._buckets[minute] += calls
        if self._oldest is None or minute < self._oldest:
            self._oldest = minute
        if self._newest is None or minute > self._newest:
            self._newest = minute

    def add(self, at: datetime, calls: float) -> None:
        if calls:
            self._bucket(minute_of(at), calls)

    def add_rate(self, start: datetime, end: datetime, calls_per_hour: float) -> None:
        """Spread a steady rate over [start, end), minute by minute."""
        if calls_per_hour <= 0 or end <= start:
            return
        per_second = calls_per_hour / 3600
        # Older than the window would age out at once: skip it.
        cursor = max(start, end - WINDOW - timedelta(minutes=1))
        while cursor < end:
            next_minute = _EPOCH + timedelta(minutes=minute_of(cursor) + 1)
            stop = min(next_minute, end)
            self._bucket(minute_of(cursor), per_second * (stop - cursor).total_seconds())
            cursor = stop

    def used(self, now: datetime) -> int:
        """Calls in the 24 hours up to and including the current minute."""
        current = minute_of(now)
        oldest = current - _WINDOW_MINUTES + 1
        if self._oldest is not None and self._oldest < oldest:
            for minute in [m for m in self._buckets if m < oldest]:
                del self._buckets[minute]
            self._oldest = min(self._buckets, default=None)
            self._newest = max(self._buckets, default=None)
        if self._newest is None or self._newest <= current:
            total = sum(self._buckets.values())
        else:
            total = sum(calls for minute, calls in self._buckets.items() if minute <= current)
        # Rates add fractions of a call; a tiny epsilon keeps 99.9999... from reading as 99.
        return math.floor(total + 1e-6)
