"""HubSpot error responses -> apibrake error classes.

Bodies: `{"status":"error","message","correlationId","category",["subCategory","context",
"errors"]}`; 429s add `policyName`; the OAuth token endpoint answers
`{"status":"BAD_REFRESH_TOKEN","message":..}`.
"""

from __future__ import annotations

import json
from typing import Any, TypedDict

import httpx

from apibrake.http.errors import (
    AuthenticationFailed,
    DailyLimitExhausted,
    NotFound,
    PermissionDenied,
    PlatformError,
    PlatformUnavailable,
    RateLimited,
    RequestRejected,
)
from apibrake.http.parsing import as_int
from apibrake.http.profile import CallKind
from apibrake.http.usage_headers import HUBSPOT_DAILY_REMAINING
from apibrake.models.connection import Platform

HUBSPOT = Platform.HUBSPOT.value
DAILY_POLICY = "DAILY"
BURST_INTERVAL_HEADER = "X-HubSpot-RateLimit-Interval-Milliseconds"
DEFAULT_BURST_INTERVAL_S = 10.0  # HubSpot's rolling window when the header is missing


class _Context(TypedDict):
    status: int
    correlation_id: str | None


def classify_hubspot_error(response: httpx.Response, kind: CallKind) -> PlatformError:
    status = response.status_code
    body = _json_object(response.content)
    message = _text(body.get("message")) or f"HTTP {status} without a HubSpot error body"
    # The body's, else the header every answer carries (a bodiless 404 included).
    correlation_id = _text(body.get("correlationId")) or _text(
        response.headers.get("X-HubSpot-Correlation-Id")
    )
    category = _text(body.get("category"))
    context = _Context(status=status, correlation_id=correlation_id)
    if status >= 500:
        return PlatformUnavailable(HUBSPOT, message, code=category, **context)
    if kind is CallKind.AUTH and status != 429:
        code = category or _text(body.get("status")) or _text(body.get("error"))
        return AuthenticationFailed(
            HUBSPOT, f"token request refused: {message}", code=code, **context
        )
    if status == 401:
        return AuthenticationFailed(HUBSPOT, message, code=category, **context)
    if status == 403:
        return PermissionDenied(
            HUBSPOT, message, code=category, missing_scopes=_missing_scopes(body), **context
        )
    if status == 429:
        return _limit_error(response, body, message, context)
    if status == 404:
        return NotFound(HUBSPOT, message, code=category, **context)
    return RequestRejected(HUBSPOT, message, code=category or _text(body.get("status")), **context)


def _limit_error(
    response: httpx.Response, body: dict[str, Any], message: str, context: _Context
) -> PlatformError:
    policy = _text(body.get("policyName"))
    daily_spent = as_int(response.headers.get(HUBSPOT_DAILY_REMAINING)) == 0
    if policy == DAILY_POLICY or (policy is None and daily_spent):
        return DailyLimitExhausted(HUBSPOT, message, code=policy or DAILY_POLICY, **context)
    # TEN_SECONDLY_ROLLING, the older SECONDLY, or an unnamed burst: wait out the window.
    return RateLimited(
        HUBSPOT, message, code=policy, retry_after=_burst_wait(response.headers), **context
    )


def _burst_wait(headers: httpx.Headers) -> float:
    interval_ms = as_int(headers.get(BURST_INTERVAL_HEADER))
    retry_after = as_int(headers.get("Retry-After"))
    waits = [DEFAULT_BURST_INTERVAL_S if interval_ms is None else interval_ms / 1000]
    if retry_after is not None:
        waits.append(float(retry_after))
    return max(max(waits), 0.0)


def _missing_scopes(body: dict[str, Any]) -> tuple[str, ...]:
    """Scopes named in `context` or `errors[].context` under any key mentioning scopes."""
    contexts = [body.get("context")]
    errors = body.get("errors")
    if isinstance(errors, list):
        contexts += [error.get("context") for error in errors if isinstance(error, dict)]
    scopes: list[str] = []
    for context in contexts:
        if not isinstance(context, dict):
            continue
        for key, values in context.items():
            if "scope" in str(key).lower() and isinstance(values, list):
                scopes += [str(v) for v in values if str(v) not in scopes]
    return tuple(scopes)


def _json_object(content: bytes) -> dict[str, Any]:
    try:
        body = json.loads(content)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _text(value: object) -> str | None:
    return str(value) if isinstance(value, str | int) and str(value) else None
