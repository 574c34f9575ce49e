"""Lenient readers for numbers and timestamps found in platform payloads and headers."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_INTEGER = re.compile(r"[+-]?\d{1,18}")


def as_int(value: object) -> int | None:
    """An int from an int, an integral float or a decimal string (old Salesforce versions)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value.strip())
    return None


def as_timestamp(value: object) -> datetime | None:
    """An aware datetime from an ISO 8601 string; naive ones are taken as UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
