"""Amounts per minute and key (calls per caller, changed records per change): what the
call ledger and the change queue both keep, spread minute by minute, forgotten after KEEP."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)

_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
KEEP = timedelta(days=3)  # yesterday's daily file plus a day's slack


def minute_index(moment: datetime) -> int:
    return int((moment - _EPOCH).total_seconds() // 60)


def minute_start(index: int) -> datetime:
    return _EPOCH + timedelta(minutes=index)


class PerMinute(Generic[K]):
    def __init__(self) -> None:
        self._minutes: dict[int, dict[K, float]] = defaultdict(lambda: defaultdict(float))

    def add(self, at: datetime, key: K, amount: float) -> None:
        if amount > 0:
            self._minutes[minute_index(at)][key] += amount

    def add_rate(self, start: datetime, end: datetime, key: K, per_hour: float) -> None:
        """A steady `per_hour` over [start, end), spread minute by minute."""
        if per_hour <= 0 or end <= start:
            return
        per_second = per_hour / 3600
        cursor = max(start, end - KEEP)
        while cursor < end:
            stop = min(minute_start(minute_index(cursor) + 1), end)
            self._minutes[minute_index(cursor)][key] += per_second * (stop - cursor).total_seconds()
            cursor = stop

    def prune(self, now: datetime, keep: timedelta = KEEP) -> None:
        oldest = minute_index(now - keep)
        for minute in [m for m in self._minutes if m < oldest]:
            del self._minutes[minute]
