"""Errors from Salesforce and HubSpot, sorted by what the caller should do about them.

Messages hold only the platform's own error text and our words: never a token, a
secret, a header or a request body.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, TypedDict, Unpack

MAX_MESSAGE_CHARS = 500


class ErrorDetails(TypedDict, total=False):
    """What every platform error may carry besides its message."""

    status: int | None
    code: str | None
    correlation_id: str | None


class PlatformError(Exception):
    """Base class. `retryable` says whether the same request may succeed if sent again."""

    retryable: ClassVar[bool] = False
    max_retries: ClassVar[int | None] = None  # per request; None: as many as the policy allows

    def __init__(self, platform: str, message: str, **details: Unpack[ErrorDetails]) -> None:
        self.platform = str(platform)
        self.message = _clip(message)
        self.status = details.get("status")
        self.code = details.get("code")
        self.correlation_id = details.get("correlation_id")
        super().__init__(self.message)

    def __str__(self) -> str:
        details = []
        if self.status is not None:
            details.append(f"HTTP {self.status}")
        if self.code:
            details.append(self.code)
        if self.correlation_id:
            details.append(f"correlationId={self.correlation_id}")
        suffix = f" ({', '.join(details)})" if details else ""
        return f"{self.platform}: {self.message}{suffix}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class AuthenticationFailed(PlatformError):
    """Credentials refused (token endpoint 4xx), or a 401 that a fresh token did not cure."""


class PermissionDenied(PlatformError):
    """403: the token works but lacks a scope or permission."""

    def __init__(
        self,
        platform: str,
        message: str,
        *,
        missing_scopes: tuple[str, ...] = (),
        **details: Unpack[ErrorDetails],
    ) -> None:
        super().__init__(platform, message, **details)
        self.missing_scopes = missing_scopes


class DailyLimitExhausted(PlatformError):
    """The daily API limit is spent. Never retried: every retry would be refused too."""

    def __init__(
        self,
        platform: str,
        message: str,
        *,
        resets_at: datetime | None = None,
        **details: Unpack[ErrorDetails],
    ) -> None:
        super().__init__(platform, message, **details)
        self.resets_at = resets_at  # HubSpot's next reset when known; Salesforce rolls


class RateLimited(PlatformError):
    """A short-window limit (HubSpot burst, Salesforce concurrent requests): back off, retry."""

    retryable = True

    def __init__(
        self,
        platform: str,
        message: str,
        *,
        retry_after: float | None = None,
        **details: Unpack[ErrorDetails],
    ) -> None:
        super().__init__(platform, message, **details)
        self.retry_after = retry_after  # seconds to wait at least, when the platform says


class PlatformUnavailable(PlatformError):
    """5xx, timeouts, refused or reset connections."""

    retryable = True


class NotSent(PlatformUnavailable):
    """The connection failed before the request left: the platform saw nothing."""


class AnswerLost(PlatformUnavailable):
    """The request was sent but no whole answer came back (a read timeout, a reset, a cut
    body): the platform may have applied it. Resent only when sending twice is harmless."""


class MalformedResponse(PlatformError):
    """A 2xx body we cannot read (HTML page, broken JSON, wrong shape). One retry at most."""

    retryable = True
    max_retries = 1


class RequestRejected(PlatformError):
    """Any other 4xx: the request itself is wrong (bad query, stale revision, ...)."""


class NotFound(RequestRejected):
    """404: the record or flow does not exist (a RequestRejected, so one except covers 4xx)."""


def _clip(message: str) -> str:
    text = " ".join(str(message).split())
    if len(text) <= MAX_MESSAGE_CHARS:
        return text
    return text[: MAX_MESSAGE_CHARS - 1] + "…"
