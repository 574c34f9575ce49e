from __future__ import annotations

from typing import Any

import httpx
import pytest

from apibrake.http import (
    AuthenticationFailed,
    CallKind,
    DailyLimitExhausted,
    NotFound,
    PermissionDenied,
    PlatformError,
    PlatformUnavailable,
    RateLimited,
    RequestRejected,
)
from apibrake.platforms.hubspot.errors import classify_hubspot_error

CORRELATION_ID = "aeb5f871-7f07-4993-9211-075dc63e7cbf"


def _body(category: str, message: str = "something", **extra: Any) -> dict[str, Any]:
    return {
        "status": "error",
        "message": message,
        "correlationId": CORRELATION_ID,
        "category": category,
        **extra,
    }


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            401,
            _body("INVALID_AUTHENTICATION", "Authentication credentials not found."),
            AuthenticationFailed,
        ),
        (
            401,
            _body("EXPIRED_AUTHENTICATION", "The OAuth token used to make this call expired"),
            AuthenticationFailed,
        ),
        (403, _body("MISSING_SCOPES"), PermissionDenied),
        (404, _body("OBJECT_NOT_FOUND"), NotFound),
        (400, _body("VALIDATION_ERROR", "Invalid request to flow update"), RequestRejected),
        (409, _body("CONFLICT"), RequestRejected),
        (502, _body("BAD_GATEWAY"), PlatformUnavailable),
        (503, _body("SERVICE_UNAVAILABLE"), PlatformUnavailable),
        (504, _body("GATEWAY_TIMEOUT"), PlatformUnavailable),
    ],
)
def test_error_bodies_are_classified_with_correlation_id(
    status: int, body: dict[str, Any], expected: type[PlatformError]
) -> None:
    error = classify_hubspot_error(httpx.Response(status, json=body), CallKind.API)

    assert type(error) is expected
    assert error.code == body["category"]
    assert error.correlation_id == CORRELATION_ID
    assert CORRELATION_ID in str(error)
    assert body["message"] in str(error)


def test_missing_scopes_are_carried() -> None:
    body = _body(
        "MISSING_SCOPES",
        "This app hasn't been granted all required scopes to make this call.",
        errors=[
            {
                "message": "One or more of the following scopes are required.",
                "context": {"requiredGranularScopes": ["automation", "oauth"]},
            }
        ],
    )

    error = classify_hubspot_error(httpx.Response(403, json=body), CallKind.API)

    assert isinstance(error, PermissionDenied)
    assert error.missing_scopes == ("automation", "oauth")


def test_daily_policy_429_is_daily_exhaustion() -> None:
    body = {
        "status": "error",
        "message": "You have reached your daily limit.",
        "errorType": "RATE_LIMIT",
        "correlationId": CORRELATION_ID,
        "policyName": "DAILY",
        "requestId": "r-1",
    }

    error = classify_hubspot_error(httpx.Response(429, json=body), CallKind.API)

    assert isinstance(error, DailyLimitExhausted)
    assert not error.retryable
    assert error.code == "DAILY"


@pytest.mark.parametrize("policy", ["TEN_SECONDLY_ROLLING", "SECONDLY"])
def test_burst_policy_429_waits_the_interval(policy: str) -> None:
    response = httpx.Response(
        429,
        json={
            "status": "error",
            "message": "You have reached your ten_secondly_rolling limit.",
            "errorType": "RATE_LIMIT",
            "correlationId": CORRELATION_ID,
            "policyName": policy,
        },
        headers={"X-HubSpot-RateLimit-Interval-Milliseconds": "10000"},
    )

    error = classify_hubspot_error(response, CallKind.API)

    assert isinstance(error, RateLimited)
    assert error.retryable
    assert error.retry_after == 10.0


def test_unnamed_429_with_no_daily_calls_left_is_daily_exhaustion() -> None:
    response = httpx.Response(
        429, json={"message": "limit"}, headers={"X-HubSpot-RateLimit-Daily-Remaining": "0"}
    )

    assert isinstance(classify_hubspot_error(response, CallKind.API), DailyLimitExhausted)


def test_unnamed_429_otherwise_is_a_burst_with_the_default_window() -> None:
    error = classify_hubspot_error(httpx.Response(429, text="slow down"), CallKind.API)

    assert isinstance(error, RateLimited)
    assert error.retry_after == 10.0


def test_oauth_refusal_names_the_status() -> None:
    body = {
        "status": "BAD_REFRESH_TOKEN",
        "message": "missing or unknown refresh token",
        "correlationId": CORRELATION_ID,
    }

    error = classify_hubspot_error(httpx.Response(400, json=body), CallKind.AUTH)

    assert isinstance(error, AuthenticationFailed)
    assert error.code == "BAD_REFRESH_TOKEN"


def test_a_non_json_error_body_still_classifies() -> None:
    error = classify_hubspot_error(
        httpx.Response(400, text="<html>bad</html>", headers={"content-type": "text/html"}),
        CallKind.API,
    )

    assert isinstance(error, RequestRejected)
    assert "<html>" not in str(error)


def test_a_bodiless_answer_keeps_the_correlation_id_header() -> None:
    """Every HubSpot answer carries X-HubSpot-Correlation-Id (recorded responses): the id
    support asks for survives an error without a JSON body."""
    response = httpx.Response(
        404, content=b"", headers={"X-HubSpot-Correlation-Id": CORRELATION_ID}
    )

    error = classify_hubspot_error(response, CallKind.API)

    assert isinstance(error, NotFound)
    assert error.correlation_id == CORRELATION_ID
