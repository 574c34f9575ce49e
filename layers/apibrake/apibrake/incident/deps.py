"""What brake and release need from outside: stores, the alert sink, platform clients."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from apibrake.incident.journal import JournalStore
from apibrake.incident.readings import STORED_READING_MAX_AGE
from apibrake.incident.records import utcnow
from apibrake.models.alert import Alert
from apibrake.models.attribution import AttributionSource, Suspects
from apibrake.models.connection import Connection
from apibrake.models.reports import AutomationRow
from apibrake.models.usage import UsageReading
from apibrake.store.allowlist import AllowlistStore
from apibrake.store.connections import ConnectionStore
from apibrake.store.state import StateStore

if TYPE_CHECKING:
    from apibrake.platforms.client import PlatformClient

logger = logging.getLogger(__name__)


class IncidentEvents(Protocol):
    """Where rows a person must handle go as events (warn/events.py); never raises."""

    def needs_human(
        self, rows: Sequence[AutomationRow], *, action: str, incident_id: str | None
    ) -> bool: ...


class SuspectsFinder(Protocol):
    """Who is spending a connection's calls since `since`, from the attribution sources
    (apibrake/attribution): data already collected costs nothing and is always used; at
    most `calls_allowed` platform calls on `client` go to the rest. None when attribution
    cannot tell."""

    async def __call__(
        self, connection: Connection, client: PlatformClient, *, since: datetime, calls_allowed: int
    ) -> Suspects | None: ...


class SourceRefusals(Protocol):
    """Sources an org refused (apibrake/attribution's memory, AttributionStore): what
    attribution found unavailable is not asked again by anyone, and the other way round."""

    def unavailable(self, connection_id: str, *, now: datetime) -> dict[AttributionSource, str]: ...

    def remember_unavailable(
        self, connection_id: str, source: AttributionSource, reason: str, *, now: datetime
    ) -> None: ...


@dataclass
class IncidentDeps:
    connections: ConnectionStore
    allowlist: AllowlistStore
    journal: JournalStore
    publish: Callable[[Alert], object]
    # Connection -> its platform's client (secret loaded, nothing called yet).
    open_client: Callable[[Connection], PlatformClient]
    now: Callable[[], datetime] = utcnow
    # The monitor's stored readings: restore decides recovery from them without a call.
    state: StateStore | None = None
    concurrency: int = 25
    events: IncidentEvents | None = None  # None: no EventBridge events
    suspects: SuspectsFinder | None = None  # None: reports name no suspects of their own
    refusals: SourceRefusals | None = None  # None: the freeze watch asks nothing
    owner: str = field(default_factory=lambda: uuid.uuid4().hex)  # lease holder id

    def recent_readings(self, connection_id: str) -> list[UsageReading]:
        """The monitor's readings young enough to decide from (blocking: a DynamoDB query)."""
        if self.state is None:
            return []
        return self.state.readings_since(connection_id, self.now() - STORED_READING_MAX_AGE)


async def find_suspects(
    deps: IncidentDeps,
    connection: Connection,
    client: PlatformClient,
    *,
    since: datetime,
    calls: int,
) -> Suspects | None:
    """The finder's answer; None when there is none or it fails (attribution is a help to a
    person, never a reason for a brake or release to fail)."""
    if deps.suspects is None:
        return None
    try:
        return await deps.suspects(connection, client, since=since, calls_allowed=calls)
    except Exception:
        logger.exception("suspects not found", extra={"connection_id": connection.connection_id})
        return None


def publish_safely(deps: IncidentDeps, alert: Alert) -> str | None:
    """Publishes `alert`; on failure logs it and returns what went wrong (no secrets: the
    AWS error names the topic and the problem only)."""
    try:
        deps.publish(alert)
    except Exception as error:
        logger.exception("alert not published", extra={"connection_id": alert.connection_id})
        return f"{alert.kind} alert not published: {type(error).__name__}: {str(error)[:200]}"
    return None
