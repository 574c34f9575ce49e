"""The monitor's side of attribution: suspects for a connection whose forecast, warning or
critical alert is about to go out, and only then (a quiet check spends nothing)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, cast

from apibrake.attribution import (
    AttributionMemory,
    CallBudget,
    Gathering,
    hubspot_suspects,
    salesforce_suspects,
)
from apibrake.models.allowlist import AllowlistEntry
from apibrake.models.attribution import Suspects
from apibrake.models.connection import Connection, Platform
from apibrake.models.usage import UsageReading
from apibrake.warn.rules import AlertKind, DueAlert

if TYPE_CHECKING:
    from apibrake.platforms.client import PlatformClient
    from apibrake.platforms.salesforce.client import SalesforceClient

logger = logging.getLogger(__name__)

# The usage alerts that carry a Suspects section.
SUSPECT_KINDS = frozenset({AlertKind.FORECAST, AlertKind.THRESHOLD, AlertKind.BRAKE_THRESHOLD})


def with_released_unchanged(suspects: Suspects, released: Mapping[str, datetime]) -> Suspects:
    """Each driver a person released unchanged from an earlier incident (state table,
    `released#` items) marked so: the alert then says it is the same runaway again."""
    drivers = [
        d.model_copy(update={"released_unchanged_at": released[d.automation]})
        if d.automation is not None and d.automation in released
        else d
        for d in suspects.drivers
    ]
    return suspects.model_copy(update={"drivers": drivers})


def wants_suspects(won: Sequence[DueAlert]) -> bool:
    return any(alert.kind in SUSPECT_KINDS for alert in won)


async def gather_suspects(
    connection: Connection,
    client: PlatformClient,
    reading: UsageReading,
    entries: Sequence[AllowlistEntry],
    memory: AttributionMemory,
    now: datetime,
) -> Suspects | None:
    """The best suspects the connection's sources give within the per-alert budget; None if
    gathering itself failed (the alert goes out without them)."""
    cid = connection.connection_id
    try:
        if connection.platform is Platform.HUBSPOT:
            return hubspot_suspects(cid, reading, now)
        budget = CallBudget(
            limit=reading.limit, used=reading.used, reserve_pct=connection.reserve_pct
        )
        job = Gathering(
            cid,
            cast("SalesforceClient", client),
            entries,
            memory,
            budget,
            now,
            protected=connection.protected,
        )
        return await salesforce_suspects(job)
    except Exception:
        logger.exception("suspects not gathered", extra={"connection_id": cid})
        return None
