"""A virtual clock the drill advances; optionally it also runs at a multiple of real time."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

DEFAULT_START = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)


class VirtualClock:
    """`speed` 0 means time only moves through `advance`; 60 means a real second is a minute."""

    def __init__(self, start: datetime = DEFAULT_START, speed: float = 0.0) -> None:
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        self._base = start
        self._speed = speed
        self._real_origin = time.monotonic()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            if not self._speed:
                return self._base
            elapsed = (time.monotonic() - self._real_origin) * self._speed
            return self._base + timedelta(seconds=elapsed)

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._base += delta
            return self._base

    def follow_wall_clock(self) -> None:
        """From now on read the wall clock, as the local stack's handlers do: a scenario is
        built on a stopped clock (its history run by `advance`) and then served live."""
        wall = datetime.now(UTC)
        if wall < self.now():
            raise ValueError("the clock is ahead of the wall clock; it only moves forward")
        with self._lock:
            self._base = wall
            self._real_origin = time.monotonic()
            self._speed = 1.0

    def set(self, moment: datetime) -> None:
        with self._lock:
            if moment < self._base:
                raise ValueError("the clock only moves forward")
            self._base = moment
