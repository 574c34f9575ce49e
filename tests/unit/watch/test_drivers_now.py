"""A brake ahead for the tail alone stands down only when what changed the records has
stopped, the changes in sight can explain the burn, and the sync's own writes are left out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from apibrake.models.protected import ProtectedConsumers
from apibrake.platforms.salesforce.activity import RecordChanges
from apibrake.watch.drivers_now import drivers_now

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
CONNECTOR = "hubspot.integration@acme.example"
PROTECTED = ProtectedConsumers.of([CONNECTOR])
APIBRAKE_ID = "005APIBRAKE"


def _change(user: str, records: int, minutes_ago: float, user_id: str = "") -> RecordChanges:
    return RecordChanges(
        "Lead", user_id or f"005{user[:6]}", user, records, NOW - timedelta(minutes=minutes_ago)
    )


@pytest.mark.parametrize(
    ("changes", "rate_per_hour", "stopped"),
    [
        # A data load that stopped 5 minutes ago: its 70,000 records explain the burn
        ([_change("autoproc", 70_000, 5)], 56_000, True),
        # The same load still saving this minute: the brake stands
        ([_change("autoproc", 70_000, 0.5)], 56_000, False),
        # People editing a few records now do not keep a brake that buys nothing
        ([_change("autoproc", 70_000, 5), _change("rep@acme.example", 40, 1)], 56_000, True),
        # The connector's own write-backs are the sync, not what feeds it
        ([_change("autoproc", 70_000, 5), _change(CONNECTOR, 30_000, 0)], 56_000, True),
        # Nothing in sight explains 60,000 calls an hour (a workflow's Salesforce actions,
        # an ETL): the brake stands
        ([_change("rep@acme.example", 200, 10)], 60_000, False),
        ([], 60_000, False),
        # apibrake's own saves (a kill switch's row) are left out
        ([_change("apibrake", 1, 0, user_id=APIBRAKE_ID), _change("x", 50_000, 6)], 40_000, True),
    ],
)
def test_drivers_stopped(changes: list[RecordChanges], rate_per_hour: float, stopped: bool) -> None:
    found = drivers_now(changes, now=NOW, protected=PROTECTED, own_user_id=APIBRAKE_ID)
    assert found.stopped(rate_per_hour) is stopped
