"""HubSpot's timestamp spellings."""

from __future__ import annotations

from datetime import UTC, datetime


def iso_millis(moment: datetime) -> str:
    """`2020-04-10T06:46:40.789Z`, as in `collectedAt`, `createdAt` and `updatedAt`."""
    utc = moment.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def iso_seconds(moment: datetime) -> str:
    """`2020-04-10T04:00:00Z`, as in `resetsAt`."""
    return f"{moment.astimezone(UTC):%Y-%m-%dT%H:%M:%S}Z"
