"""HubSpot's error bodies: the standard error object and the rate-limit answers."""

from __future__ import annotations

import uuid
from typing import Any

from sandbox.http import Response

UPDATE_REJECTED = "Invalid request to flow update"
NO_CREDENTIALS = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you"
    " can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)
EXPIRED_TOKEN = "The OAuth token used to make this call expired 0 second(s) ago."

_CATEGORY_BY_STATUS = {
    400: "VALIDATION_ERROR",
    401: "INVALID_AUTHENTICATION",
    403: "MISSING_SCOPES",
    404: "OBJECT_NOT_FOUND",
    409: "CONFLICT",
    415: "UNSUPPORTED_MEDIA_TYPE",
}
_MESSAGE_BY_STATUS = {
    500: "internal error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def _correlation_id() -> str:
    return str(uuid.uuid4())


def error(
    status: int,
    message: str,
    category: str,
    *,
    context: dict[str, list[str]] | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The standard error: category, correlationId, message, plus `status: error` as served live."""
    body: dict[str, Any] = {
        "status": "error",
        "message": message,
        "correlationId": _correlation_id(),
        "category": category,
    }
    if context is not None:
        body["context"] = context
    if errors is not None:
        body["errors"] = errors
    return Response.json(status, body, headers)


def error_for_status(status: int) -> Response:
    """What a STATUS fault answers: the usual category and wording for that status."""
    if status == 401:
        return error(401, NO_CREDENTIALS, "INVALID_AUTHENTICATION")
    if status == 403:
        return missing_scopes(["automation"])
    if status == 429:
        return daily_limit_reached()
    category = _CATEGORY_BY_STATUS.get(status, "INTERNAL_ERROR" if status >= 500 else "ERROR")
    return error(status, _MESSAGE_BY_STATUS.get(status, f"HTTP {status}"), category)


def missing_scopes(scopes: list[str]) -> Response:
    return Response.json(
        403,
        {
            "status": "error",
            "message": "This app hasn't been granted all required scopes to make this call."
            " Read more about required scopes here: https://developers.hubspot.com/scopes.",
            "correlationId": _correlation_id(),
            "errors": [
                {
                    "message": "One or more of the following scopes are required.",
                    "context": {"requiredGranularScopes": scopes},
                }
            ],
            "links": {"scopes": "https://developers.hubspot.com/scopes"},
            "category": "MISSING_SCOPES",
        },
    )


def _rate_limited(
    message: str, policy: str, headers: dict[str, str] | None, **extra: str
) -> Response:
    # Rate-limit answers have their own shape: errorType and policyName, no category.
    body = {
        "status": "error",
        "message": message,
        "errorType": "RATE_LIMIT",
        "correlationId": _correlation_id(),
        "policyName": policy,
        "requestId": str(uuid.uuid4()),
        **extra,
    }
    return Response.json(429, body, headers)


def daily_limit_reached(headers: dict[str, str] | None = None) -> Response:
    return _rate_limited("You have reached your daily limit.", "DAILY", headers)


def burst_limit_reached(headers: dict[str, str] | None = None) -> Response:
    # Recorded burst answers name the limit's group (portal and app ids are the sandbox's).
    return _rate_limited(
        "You have reached your ten_secondly_rolling limit.",
        "TEN_SECONDLY_ROLLING",
        headers,
        groupName="publicapi:private_app-api-calls-ten-secondly:123456:1",
    )


def oauth_error(code: str, message: str) -> Response:
    """The token endpoint's 400: its code in `status` (as served) and in `category`."""
    body = {
        "status": code,
        "message": message,
        "correlationId": _correlation_id(),
        "requestId": str(uuid.uuid4()),
        "category": code,
    }
    return Response.json(400, body)
