"""The two limits a portal enforces: calls per local day and requests per burst window."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as time_of_day
from zoneinfo import ZoneInfo


class DailyCounter:
    """Calls spent today; back to zero at midnight in the portal's time zone."""

    def __init__(self, zone: ZoneInfo, start: datetime) -> None:
        self._zone = zone
        self._spent = 0.0  # fractional, so slow automations still add up
        self._accrued_to = start

    @property
    def calls(self) -> int:
        return int(self._spent)

    def add(self, calls: float) -> None:
        self._spent += calls

    def next_reset(self, moment: datetime) -> datetime:
        local_day = moment.astimezone(self._zone).date()
        for days_ahead in (1, 2):  # 2 only where a DST jump skips local midnight
            reset = datetime.combine(
                local_day + timedelta(days=days_ahead), time_of_day(), tzinfo=self._zone
            ).astimezone(UTC)
            if reset > moment:
                return reset
        raise AssertionError("no local midnight within two days")  # pragma: no cover

    def run_until(self, moment: datetime, calls_per_hour: float) -> None:
        """Spend `calls_per_hour` from the last accrual to `moment`, resetting at each midnight."""
        while self._accrued_to < moment:
            reset = self.next_reset(self._accrued_to)
            segment_end = min(reset, moment)
            hours = (segment_end - self._accrued_to).total_seconds() / 3600
            self._spent += calls_per_hour * hours
            self._accrued_to = segment_end
            if segment_end == reset:
                self._spent = 0.0


class BurstWindow:
    """Requests per token in a rolling window of real (monotonic) time."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._hits: dict[str, deque[float]] = {}
        self._monotonic = monotonic

    def _recent(self, token: str, interval_ms: int) -> deque[float]:
        hits = self._hits.setdefault(token, deque())
        horizon = self._monotonic() - interval_ms / 1000
        while hits and hits[0] <= horizon:
            hits.popleft()
        return hits

    def used(self, token: str, interval_ms: int) -> int:
        return len(self._recent(token, interval_ms))

    def admit(self, token: str, limit: int, interval_ms: int) -> bool:
        """Record one request unless the window is full."""
        hits = self._recent(token, interval_ms)
        if len(hits) >= limit:
            return False
        hits.append(self._monotonic())
        return True
