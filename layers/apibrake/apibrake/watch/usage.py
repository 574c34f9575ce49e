"""One usage reading per connection per check, plus the free reading from the headers.

Salesforce: `/limits` (the rolling 24 h window). HubSpot: daily private-app usage; its
day ends at `resetsAt`, or at midnight in the portal's time zone when the entry has none.
The portal's UTC offset costs a call, so it is fetched once per warm container.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, cast

from apibrake.http.errors import PlatformError
from apibrake.models.connection import Connection, Platform
from apibrake.models.usage import UsageReading, UsageScope
from apibrake.watch.reset import parse_utc_offset, window_end

if TYPE_CHECKING:
    from apibrake.platforms.client import PlatformClient
    from apibrake.platforms.hubspot.client import HubSpotClient

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=15)  # a collectedAt this old says more about a cache than usage

# connection_id -> the portal's UTC offset; survives warm invocations.
_PORTAL_OFFSETS: dict[str, timedelta] = {}


@dataclass(frozen=True)
class UsageRead:
    reading: UsageReading  # the figure to act on
    readings: tuple[UsageReading, ...]  # everything worth storing (endpoint + headers)
    header: UsageReading | None
    resets_at: datetime | None  # None: rolling window
    window_ends: datetime  # alerts fire again after this
    gap: str | None = None  # why the figure may miss the connection's own calls
    api_versions: dict[str, str] = field(default_factory=dict)  # HubSpot: field -> version


async def read_usage(connection: Connection, client: PlatformClient, *, now: datetime) -> UsageRead:
    endpoint: UsageReading = await client.usage()
    header: UsageReading | None = client.http.last_header_reading
    stale = endpoint.stale or now - endpoint.taken_at > STALE_AFTER
    if stale != endpoint.stale:
        endpoint = endpoint.model_copy(update={"stale": stale})
    readings = [endpoint]
    if header is not None:
        readings.append(header)
    current = _figure_to_act_on(endpoint, header)
    if connection.platform is Platform.SALESFORCE:
        return UsageRead(
            current,
            tuple(readings),
            header,
            None,
            window_end(now=now, resets_at=None, rolling=True, utc_offset=None),
        )
    versions = dict(getattr(client, "api_versions", {}))
    resets_at = endpoint.resets_at if endpoint.resets_at and endpoint.resets_at > now else None
    offset = None
    if resets_at is None:
        offset = await portal_offset(connection, cast("HubSpotClient", client))
    ends = window_end(now=now, resets_at=resets_at, rolling=False, utc_offset=offset)
    return UsageRead(current, tuple(readings), header, ends, ends, endpoint.gap, versions)


def _figure_to_act_on(endpoint: UsageReading, header: UsageReading | None) -> UsageReading:
    """The newest figure; for the same instant, the endpoint's (it is the source of truth,
    the headers a bonus), and a stale cached figure loses to fresh headers. But a fresh
    figure counting every app type (HubSpot 2027-03-beta, the connection's own calls
    included) is never lowered by a header of narrower or unknown scope, however newer."""
    if header is None:
        return endpoint
    if endpoint.scope is UsageScope.ALL_APP_TYPES and not endpoint.stale:
        return max((endpoint, header), key=lambda r: (r.percent, r is endpoint))
    return max((endpoint, header), key=lambda r: (r.taken_at, r is endpoint))


async def portal_offset(connection: Connection, client: HubSpotClient) -> timedelta | None:
    """The portal's UTC offset (cached per container); None if HubSpot will not say."""
    cached = _PORTAL_OFFSETS.get(connection.connection_id)
    if cached is not None:
        return cached
    try:
        details = await client.account_details()
    except PlatformError as error:
        logger.warning(
            "portal time zone unknown; assuming UTC midnight",
            extra={"connection_id": connection.connection_id, "error": str(error)},
        )
        return None
    offset = parse_utc_offset(details.utc_offset_milliseconds)
    if offset is None:
        offset = parse_utc_offset(details.utc_offset)
    if offset is not None:
        _PORTAL_OFFSETS[connection.connection_id] = offset
    return offset


def forget_portal_offsets() -> None:
    """For tests: behave like a cold container."""
    _PORTAL_OFFSETS.clear()


def cached_portal_offset(connection_id: str) -> timedelta | None:
    return _PORTAL_OFFSETS.get(connection_id)
