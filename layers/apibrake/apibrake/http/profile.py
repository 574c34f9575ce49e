"""What PlatformHttp needs to know about one platform: how to read its errors and headers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import httpx

from apibrake.http.errors import PlatformError
from apibrake.models.usage import UsageReading


class CallKind(StrEnum):
    API = "api"  # costs the daily limit
    AUTH = "auth"  # token endpoint: not an API-limit call
    FREE = "free"  # documented as free (Salesforce versions list)


class Change(StrEnum):
    """A call that changes something on the platform. It gets the longer `work` read
    timeout (a composite of 25 metadata saves, anonymous Apex), and an unanswered ONCE call
    is never sent again: the caller re-reads to learn whether it landed."""

    IDEMPOTENT = "idempotent"  # twice does no harm: set a value, a PUT guarded by a revision
    ONCE = "once"  # twice does harm: System.schedule fails as "already scheduled"


ErrorClassifier = Callable[[httpx.Response, CallKind], PlatformError]
HeaderReader = Callable[[Mapping[str, str], datetime], UsageReading | None]


@dataclass(frozen=True)
class PlatformProfile:
    platform: str
    classify: ErrorClassifier  # a non-2xx response -> the error to raise
    read_usage: HeaderReader  # response headers -> a free usage reading, or None
