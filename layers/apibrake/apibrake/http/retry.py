"""How often and how long to wait before sending a failed request again."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from apibrake.http.errors import PlatformError, RateLimited


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3  # per request, the first one included
    # A burst 429 only says "wait for the window": the brake must outlast a burst of them.
    max_rate_limited_attempts: int = 6
    base_delay: float = 0.2  # seconds; doubles per retry, full jitter below the cap
    max_delay: float = 2.0
    burst_wait_scale: float = 1.0  # times the platform's burst interval (tests shrink it)
    max_burst_wait: float = 12.0  # HubSpot's window is 10 s; never wait much longer

    def delay(self, retry_number: int, error: PlatformError, rand: Callable[[], float]) -> float:
        """Seconds to wait before retry number `retry_number` (1 for the first retry)."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (retry_number - 1))
        jittered = rand() * ceiling
        if isinstance(error, RateLimited) and error.retry_after is not None:
            floor = min(error.retry_after * self.burst_wait_scale, self.max_burst_wait)
            return max(jittered, floor)
        return jittered

    def attempts_for(self, error: PlatformError) -> int:
        return (
            self.max_rate_limited_attempts if isinstance(error, RateLimited) else self.max_attempts
        )


class RetryBudget:
    """Retries shared by every connection of one invocation, so a sick platform
    cannot eat the function's time or the user's calls."""

    def __init__(self, max_retries: int = 20) -> None:
        self.max_retries = max_retries
        self.spent = 0

    @property
    def remaining(self) -> int:
        return max(self.max_retries - self.spent, 0)

    def try_spend(self) -> bool:
        if self.spent >= self.max_retries:
            return False
        self.spent += 1
        return True

    def __repr__(self) -> str:
        return f"RetryBudget(spent={self.spent}, max_retries={self.max_retries})"
