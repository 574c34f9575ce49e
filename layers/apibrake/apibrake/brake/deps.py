"""What brake and release need from outside: stores, the alert sink, platform clients."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from apibrake.models.connection import Connection
from apibrake.models.usage import UsageReading
from apibrake.store.allowlist import AllowlistStore
from apibrake.store.connections import ConnectionStore
from apibrake.store.journal import JournalStore, utcnow
from apibrake.store.state import StateStore
from apibrake.warn.publisher import Alert

logger = logging.getLogger(__name__)


@dataclass
class IncidentDeps:
    connections: ConnectionStore
    allowlist: AllowlistStore
    journal: JournalStore
    publish: Callable[[Alert], object]
    # Connection -> SalesforceClient | HubSpotClient (secret loaded, nothing called yet).
    open_client: Callable[[Connection], Any]
    now: Callable[[], datetime] = utcnow
    # The monitor's stored readings: restore decides recovery from them without a call.
    state: StateStore | None = None
    concurrency: int = 25
    owner: str = field(default_factory=lambda: uuid.uuid4().hex)  # lease holder id


async def fresh_reading(client: Any, *, prefer_headers: bool) -> UsageReading:
    """The freshest usage figure: the last response's headers when allowed, else one call."""
    reading: UsageReading | None = client.http.last_header_reading if prefer_headers else None
    if reading is not None:
        return reading
    result: UsageReading = await client.usage()
    return result


def publish_safely(deps: IncidentDeps, alert: Alert) -> str | None:
    """Publishes `alert`; on failure logs it and returns what went wrong (no secrets: the
    AWS error names the topic and the problem only)."""
    try:
        deps.publish(alert)
    except Exception as error:
        logger.exception("alert not published", extra={"connection_id": alert.connection_id})
        return f"{alert.kind} alert not published: {type(error).__name__}: {str(error)[:200]}"
    return None
