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


ErrorClassifier = Callable[[httpx.Response, CallKind], PlatformError]
HeaderReader = Callable[[Mapping[str, str], datetime], UsageReading | None]


@dataclass(frozen=True)
class PlatformProfile:
    platform: str
    classify: ErrorClassifier  # a non-2xx response -> the error to raise
    read_usage: HeaderReader  # response headers -> a free usage reading, or None
