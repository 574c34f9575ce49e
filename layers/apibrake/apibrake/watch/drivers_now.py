"""Are the drivers still changing records? Asked only before a brake ahead that the tail
alone calls for (watch/ahead.py): a brake stops new record changes, never the sync of those
already made (docs/platform-notes.md S6). When the automations changing the synced objects
have already stopped, the tail is spent whatever apibrake does, and a brake now would stop
nothing: a false brake of a burst that ended by itself.

One composite call: the records changed per object and changing user over the last
LOOK_BACK, with each user's newest change. The drivers have stopped when both hold:
- the window's changes can explain the burn (records x MAX_CALLS_PER_RECORD at least the
  calls the current rate burns over the window); otherwise what drives it is out of sight
  (an object not read, a HubSpot workflow's Salesforce actions, an ETL) and the brake stands;
- the users who changed a record within the last QUIET_FOR hold under STILL_CHANGING_SHARE
  of the window's records.
Changes by protected consumers (the connector's write-backs) and by apibrake's own user are
left out: they are the sync, not what feeds it. Anything unreadable keeps the brake.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from apibrake.attribution import SYNCED_OBJECTS
from apibrake.http.errors import PlatformError
from apibrake.models.protected import ProtectedConsumers
from apibrake.platforms.salesforce import activity

if TYPE_CHECKING:
    from apibrake.platforms.salesforce.client import SalesforceClient

logger = logging.getLogger(__name__)

LOOK_BACK = timedelta(minutes=30)  # two of the connector's 15-minute cycles (S6)
# An estimate: three one-minute hot checks in a row without a change from a user.
QUIET_FOR = timedelta(minutes=3)
# An estimate (S6, unconfirmed): the most calls one changed record costs a consumer, a read
# and a write-back, neither batched.
MAX_CALLS_PER_RECORD = 2.0
# Below this share of the window's records the drivers count as stopped: people editing a
# few records by hand never keep a brake from standing down.
STILL_CHANGING_SHARE = 0.1


@dataclass(frozen=True)
class DriversNow:
    """Record changes in the synced objects over LOOK_BACK, the sync's own left out."""

    records: int
    recent_records: int  # by users who changed one within QUIET_FOR

    def stopped(self, rate_per_hour: float) -> bool:
        """True when what drove the burn (at `rate_per_hour` calls) has stopped changing
        records: braking now would stop nothing."""
        window_calls = rate_per_hour * LOOK_BACK.total_seconds() / 3600
        if self.records * MAX_CALLS_PER_RECORD < window_calls:
            return False  # the changes in sight cannot explain the burn
        return self.recent_records < self.records * STILL_CHANGING_SHARE


def drivers_now(
    changes: Sequence[activity.RecordChanges],
    *,
    now: datetime,
    protected: ProtectedConsumers,
    own_user_id: str | None,
) -> DriversNow:
    records = recent = 0
    for change in changes:
        if change.user_id and change.user_id == own_user_id:
            continue
        if protected.reason(change.username) is not None:
            continue
        records += change.records
        if change.latest is not None and now - change.latest <= QUIET_FOR:
            recent += change.records
    return DriversNow(records, recent)


async def read_drivers_now(
    client: SalesforceClient, protected: ProtectedConsumers, now: datetime
) -> DriversNow | None:
    """One composite call; None when any object's changes could not be read."""
    try:
        changes, refused = await activity.record_changes(
            client, now - LOOK_BACK, SYNCED_OBJECTS, latest=True
        )
        own_user_id = await client.running_user_id()
    except PlatformError as error:
        logger.info("record changes not read: the brake stands", extra={"error": str(error)})
        return None
    if refused:
        return None
    return drivers_now(changes, now=now, protected=protected, own_user_id=own_user_id)
