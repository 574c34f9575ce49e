"""Recordings built by hand: monitor rows, brake runs and usage traces as the scorer reads
them, so its measures are tested without running a scenario."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from apibrake.models.attribution import Suspects
from drill.score.measures import Trace
from drill.score.recorder import Recorded

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def check(
    at: float,
    connection_id: str = "sf-prod",
    *,
    api_calls: int = 1,
    auth_calls: int = 0,
    alerts: Sequence[str] = (),
    suspects: Suspects | None = None,
) -> Recorded:
    """One monitor run's report with one connection row, as the handler returns it (JSON);
    with `suspects`, as a monitor that gathers them does."""
    row: dict[str, Any] = {
        "connection_id": connection_id,
        "api_calls": api_calls,
        "auth_calls": auth_calls,
        "alerts_sent": list(alerts),
    }
    if suspects is not None:
        row["suspects"] = suspects.model_dump(mode="json")
    return Recorded(minutes(at), {"connections": [row]})


def brake(at: float, connection_id: str = "sf-prod", status: str = "braked") -> Recorded:
    return Recorded(
        minutes(at),
        {"rows": [{"connection_id": connection_id, "status": status}], "api_calls": {"x": 2}},
    )


def trace(connection_id: str, used_by_minute: Sequence[int], limit: int = 100_000) -> Trace:
    """Usage sampled every minute from T0."""
    result = Trace()
    for minute, used in enumerate(used_by_minute):
        result.add(connection_id, minutes(minute), used, limit)
    return result
