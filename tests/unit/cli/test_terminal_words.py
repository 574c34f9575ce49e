"""What status and incidents print for a person: no negative burn rate, times with a zone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from apibrake_cli.output import moment
from apibrake_cli.status import _table_row

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def _row(rate: float | None) -> dict[str, Any]:
    return {
        "connection_id": "sf-prod",
        "used": 50_000,
        "limit": 100_000,
        "percent": 50.0,
        "brake_at": 90.0,
        "burn_rate_per_hour": rate,
        "minutes_to_brake": None,
        "minutes_to_exhaustion": None,
        "last_check": NOW.isoformat(),
        "last_alert": None,
        "last_alert_at": None,
        "open_incident": None,
    }


def test_usage_falling_as_calls_age_out_reads_falling() -> None:
    # Salesforce's rolling 24 hours: old calls leave faster than new ones come
    cells = _table_row(_row(-49_749.0), NOW)

    assert cells[3] == "falling"
    assert cells[4] == "not rising"
    assert not any(str(cell).startswith("-49") for cell in cells)


def test_a_rising_usage_keeps_its_rate() -> None:
    assert _table_row(_row(1_200.0), NOW)[3] == "1,200/h"


def test_times_for_a_terminal_carry_their_zone() -> None:
    assert moment("2026-11-02T12:00:00Z") == "2026-11-02 12:00 UTC"
    assert moment(datetime(2026, 11, 2, 13, 0, tzinfo=UTC)) == "2026-11-02 13:00 UTC"
    assert moment(None) == "-"
