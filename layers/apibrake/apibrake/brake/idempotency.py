"""The idempotency key of a brake: the connection (or all) and the window it falls in.

A repeated trigger in the same window (SNS or async retries, two operators at once)
gets the first run's report instead of a second brake. The journal's one-open-incident
rule covers triggers that straddle a window boundary.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from apibrake.models.events import BrakeEvent

WINDOW_SECONDS = 3600


class BrakeKey(BaseModel):
    connection_id: str  # "*" for every connection
    tier: int
    window: str  # UTC hour of the request

    @classmethod
    def of(cls, request: BrakeEvent, now: datetime) -> BrakeKey:
        return cls(
            connection_id=request.connection_id or "*",
            tier=request.tier,
            window=now.strftime("%Y-%m-%dT%H"),
        )


class IncompleteRun(Exception):
    """Raised out of the idempotent function so that an unfinished run is not cached."""

    def __init__(self, report: dict[str, object]) -> None:
        super().__init__("incomplete: the deadline stopped the run")
        self.report = report
