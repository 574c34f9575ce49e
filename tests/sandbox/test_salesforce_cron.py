"""Quartz cron expressions as Salesforce reads them: validation and next fire times."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sandbox.salesforce.cron import CronError, parse

MONDAY_NOON_UTC = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "time_zone", "expected"),
    [
        ("0 0 * * * ?", "UTC", datetime(2026, 6, 1, 13, 0, tzinfo=UTC)),
        ("0 15,45 * * * ?", "UTC", datetime(2026, 6, 1, 12, 15, tzinfo=UTC)),
        ("0 0/20 * * * ?", "UTC", datetime(2026, 6, 1, 12, 20, tzinfo=UTC)),
        ("0 0 2 * * ?", "America/New_York", datetime(2026, 6, 2, 6, 0, tzinfo=UTC)),
        ("0 0 9 ? * SAT", "UTC", datetime(2026, 6, 6, 9, 0, tzinfo=UTC)),
        ("0 0 9 ? * 2-6", "UTC", datetime(2026, 6, 2, 9, 0, tzinfo=UTC)),
        ("0 0 0 1 JAN ? 2027", "UTC", datetime(2027, 1, 1, 0, 0, tzinfo=UTC)),
    ],
)
def test_next_fire_time(expression: str, time_zone: str, expected: datetime) -> None:
    assert parse(expression).next_fire(MONDAY_NOON_UTC, time_zone) == expected


def test_last_day_markers_are_accepted_without_a_next_fire_time() -> None:
    assert parse("0 0 0 L * ?").next_fire(MONDAY_NOON_UTC, "UTC") is None


@pytest.mark.parametrize(
    "expression",
    ["0 0 * * *", "0 0 * * * * * *", "0 0 2 * * MON", "0 61 * * * ?", "0 0 ? * * ?", "a b c d e ?"],
)
def test_invalid_expressions(expression: str) -> None:
    with pytest.raises(CronError):
        parse(expression)
