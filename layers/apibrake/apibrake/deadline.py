"""Stop starting platform work before Lambda's timeout: the brake and release leave their
journal consistent, the monitor leaves unchecked connections to the next scheduled run."""

from __future__ import annotations

from collections.abc import Callable

DEFAULT_MARGIN_MS = 10_000


class Deadline:
    def __init__(
        self, remaining_ms: Callable[[], int] | None = None, *, margin_ms: int = DEFAULT_MARGIN_MS
    ) -> None:
        self._remaining_ms = remaining_ms
        self._margin_ms = margin_ms
        self.reached = False  # latched: once out of time, stay out of time

    @classmethod
    def from_context(cls, context: object, *, margin_ms: int = DEFAULT_MARGIN_MS) -> Deadline:
        """From a Lambda context (its get_remaining_time_in_millis); no context: no deadline."""
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        return cls(remaining if callable(remaining) else None, margin_ms=margin_ms)

    def has_time(self, *, reserve_ms: int = 0) -> bool:
        """True while new platform work may start; `reserve_ms`: what that work may take
        (a change call's answer can be slow), kept on top of the margin."""
        if self.reached:
            return False
        if self._remaining_ms is not None:
            remaining = self._remaining_ms()
            if remaining <= self._margin_ms:
                self.reached = True
            elif remaining <= self._margin_ms + reserve_ms:
                return False  # too little for this call; something shorter may still start
        return not self.reached

    def seconds_left(self) -> float | None:
        """How long new work may still run before the margin (None: no deadline); a bound
        for work that cannot check `has_time` as it goes (one connection's collection)."""
        if self._remaining_ms is None:
            return None
        if self.reached:
            return 0.0
        return max(0.0, (self._remaining_ms() - self._margin_ms) / 1000)
