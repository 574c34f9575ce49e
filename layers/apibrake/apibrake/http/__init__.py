"""The HTTP layer both platform clients share: timeouts, retries, error classes, usage headers."""

from apibrake.http.authorized import AuthorizedHttp, TokenProvider
from apibrake.http.client import PlatformHttp, Timeouts
from apibrake.http.errors import (
    AnswerLost,
    AuthenticationFailed,
    DailyLimitExhausted,
    MalformedResponse,
    NotFound,
    NotSent,
    PermissionDenied,
    PlatformError,
    PlatformUnavailable,
    RateLimited,
    RequestRejected,
)
from apibrake.http.profile import CallKind, Change, PlatformProfile
from apibrake.http.retry import RetryBudget, RetryPolicy
from apibrake.http.token_cache import TOKEN_CACHE, CachedToken, TokenCache

__all__ = [
    "TOKEN_CACHE",
    "AnswerLost",
    "AuthenticationFailed",
    "AuthorizedHttp",
    "CachedToken",
    "CallKind",
    "Change",
    "DailyLimitExhausted",
    "MalformedResponse",
    "NotFound",
    "NotSent",
    "PermissionDenied",
    "PlatformError",
    "PlatformHttp",
    "PlatformProfile",
    "PlatformUnavailable",
    "RateLimited",
    "RequestRejected",
    "RetryBudget",
    "RetryPolicy",
    "Timeouts",
    "TokenCache",
    "TokenProvider",
]
