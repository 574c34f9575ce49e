"""What attribution may spend on one connection for one alert.

At most `max_calls` (2) extra calls; never a call out of what `reserve_pct` holds back for
the brake; none once the platform has refused a call for the daily limit.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_CALLS_PER_ALERT = 2


@dataclass
class CallBudget:
    limit: int
    used: int  # the reading's figure before attribution spends anything
    reserve_pct: float
    max_calls: int = MAX_CALLS_PER_ALERT
    spent: int = 0
    refused: bool = False  # the platform answered "limit exhausted"

    @classmethod
    def none(cls) -> CallBudget:
        return cls(limit=0, used=0, reserve_pct=0, max_calls=0)

    @property
    def reserve(self) -> float:
        return self.limit * self.reserve_pct / 100.0

    def allows(self) -> bool:
        if self.refused or self.spent >= self.max_calls or self.limit <= 0:
            return False
        # The call itself must leave the reserve whole.
        return self.limit - (self.used + self.spent + 1) >= self.reserve

    def allows_two(self) -> bool:
        """Room for a file: its query and its download."""
        if not self.allows():
            return False
        self.spent += 1
        try:
            return self.allows()
        finally:
            self.spent -= 1

    def charge(self, calls: int) -> None:
        self.spent += calls
