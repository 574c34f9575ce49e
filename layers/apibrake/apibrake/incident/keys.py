"""The idempotency keys of a brake and of a release: what they act on and the window they fall in.

A repeated trigger in the same window (SNS or async retries, two operators at once)
gets the first run's report instead of a second run. The journal's one-open-incident
rule covers triggers that straddle a window boundary.

A brake's key also holds the journal's generation (the count of closed incidents, read
before the run): a release closes the incident and bumps it, so a brake after a release
is a new run, never the cached report of the brake before. Duplicates of one trigger read
the same generation, since the incident they all join stays open while they arrive.

A release's key needs no generation: incidents are never re-opened (a closed incident's
id is never reused), so a cached release report of an incident stays true; the scheduled
form's five-minute slot is shorter than the schedule's period.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from apibrake.models.events import BrakeEvent, ReleaseEvent, ReleaseRecoveredEvent

WINDOW_SECONDS = 3600
RELEASE_WINDOW_SECONDS = 300  # a schedule period is 15 min: repeated deliveries land well inside


class BrakeKey(BaseModel):
    connection_id: str  # "*" for every connection
    tier: int
    window: str  # UTC hour of the request
    generation: str  # JournalStore.generation(): incidents closed before the request
    # A restricted brake (a rehearsal) is its own run, never the cached report of another.
    only: tuple[str, ...] = ()

    @classmethod
    def of(cls, request: BrakeEvent, now: datetime, *, generation: str) -> BrakeKey:
        return cls(
            connection_id=request.connection_id or "*",
            tier=request.tier,
            window=now.strftime("%Y-%m-%dT%H"),
            generation=generation,
            only=tuple(request.only or ()),
        )

    def already_running(self) -> dict[str, str]:
        return {
            "error": "already_in_progress",
            "field": "connection_id",
            "message": f"a brake of {self.connection_id} is already running in this window",
        }


class ReleaseKey(BaseModel):
    incident_id: str  # "*" for the scheduled form
    force: bool
    window: str  # UTC five-minute slot of the request
    # A rehearsal's release of its canary only is another request than the whole release.
    only: list[str] | None = None
    # Releasing held rows by name is another request than the release that held them.
    include: list[str] | None = None

    @classmethod
    def of(cls, request: ReleaseEvent | ReleaseRecoveredEvent, now: datetime) -> ReleaseKey:
        return cls(
            incident_id=getattr(request, "incident_id", "*"),
            force=getattr(request, "force", False),
            window=f"{now:%Y-%m-%dT%H}:{now.minute // 5:02d}",
            only=getattr(request, "only", None),
            include=getattr(request, "include", None),
        )

    def already_running(self) -> dict[str, str]:
        return {
            "error": "already_in_progress",
            "field": "incident_id",
            "message": f"a release of {self.incident_id} is already running",
        }


class IncompleteRun(Exception):
    """Raised out of the idempotent function so that an unfinished run is not cached."""

    def __init__(self, report: dict[str, object]) -> None:
        super().__init__("incomplete: the deadline stopped the run")
        self.report = report
