"""What the monitor keeps about each connection between schedule ticks: when it last
checked it, and how hot usage was then (the state table's `cadence` partition)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Temperature(StrEnum):
    """How close usage is to the brake; each has its own check interval."""

    CALM = "calm"
    WARM = "warm"
    HOT = "hot"


@dataclass(frozen=True)
class CadenceState:
    connection_id: str
    checked_at: datetime | None  # the tick of the last completed check
    temperature: Temperature
    # A check that failed for its configuration (the secret) waits its interval before the
    # next try; one that failed on the platform's side is tried again on the next tick.
    deferred_until: datetime | None = None
    # When it is due next (its interval after the check, or the deferral): the key of the
    # due index the fleet's planner queries. Derived, so left out of equality.
    due_at: datetime | None = field(default=None, compare=False)
