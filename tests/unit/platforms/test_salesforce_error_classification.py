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
from apibrake.platforms.salesforce.errors import classify_salesforce_error


def _items(code: str, message: str) -> list[dict[str, Any]]:
    return [{"message": message, "errorCode": code}]


@pytest.mark.parametrize(
    ("status", "body", "expected", "code"),
    [
        (
            401,
            _items("INVALID_SESSION_ID", "Session expired or invalid"),
            AuthenticationFailed,
            "INVALID_SESSION_ID",
        ),
        (
            403,
            _items("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
            DailyLimitExhausted,
            "REQUEST_LIMIT_EXCEEDED",
        ),
        (
            403,
            _items(
                "REQUEST_LIMIT_EXCEEDED",
                "ConcurrentRequests (Concurrent API Requests) Limit exceeded.",
            ),
            RateLimited,
            "REQUEST_LIMIT_EXCEEDED",
        ),
        (
            403,
            _items("INSUFFICIENT_ACCESS", "insufficient access rights on object id"),
            PermissionDenied,
            "INSUFFICIENT_ACCESS",
        ),
        (
            403,
            _items("API_DISABLED_FOR_ORG", "API is not enabled for this Organization"),
            PermissionDenied,
            "API_DISABLED_FOR_ORG",
        ),
        (404, _items("NOT_FOUND", "The requested resource does not exist"), NotFound, "NOT_FOUND"),
        (
            400,
            _items("MALFORMED_QUERY", "unexpected token: FORM"),
            RequestRejected,
            "MALFORMED_QUERY",
        ),
        (400, _items("INVALID_FIELD", "No such column 'Foo'"), RequestRejected, "INVALID_FIELD"),
        (
            503,
            _items("SERVER_UNAVAILABLE", "Server unavailable"),
            PlatformUnavailable,
            "SERVER_UNAVAILABLE",
        ),
        (
            500,
            _items("UNKNOWN_EXCEPTION", "An unexpected error occurred"),
            PlatformUnavailable,
            "UNKNOWN_EXCEPTION",
        ),
    ],
)
def test_api_error_bodies_are_classified(
    status: int, body: Any, expected: type[PlatformError], code: str
) -> None:
    error = classify_salesforce_error(httpx.Response(status, json=body), CallKind.API)

    assert type(error) is expected
    assert error.code == code
    assert error.status == status
    assert error.platform == "salesforce"
    assert body[0]["message"] in str(error)


def test_daily_limit_and_concurrency_limit_differ_only_by_message() -> None:
    daily = classify_salesforce_error(
        httpx.Response(403, json=_items("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")),
        CallKind.API,
    )
    concurrent = classify_salesforce_error(
        httpx.Response(
            403, json=_items("REQUEST_LIMIT_EXCEEDED", "ConcurrentRequests Limit exceeded.")
        ),
        CallKind.API,
    )

    assert not daily.retryable
    assert concurrent.retryable


def test_an_html_error_page_is_classified_by_status() -> None:
    response = httpx.Response(
        502, text="<html><body>Bad gateway</body></html>", headers={"content-type": "text/html"}
    )

    error = classify_salesforce_error(response, CallKind.API)

    assert isinstance(error, PlatformUnavailable)
    assert "<html>" not in str(error)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (
            {"error": "invalid_grant", "error_description": "authentication failure"},
            "invalid_grant",
        ),
        (
            {"error": "invalid_client_id", "error_description": "client identifier invalid"},
            "invalid_client_id",
        ),
    ],
)
def test_token_endpoint_refusals_are_authentication_failures(
    body: dict[str, str], code: str
) -> None:
    error = classify_salesforce_error(httpx.Response(400, json=body), CallKind.AUTH)

    assert isinstance(error, AuthenticationFailed)
    assert error.code == code
    assert code in str(error)
    assert not error.retryable


def test_token_endpoint_outage_stays_retryable() -> None:
    error = classify_salesforce_error(httpx.Response(503, text="busy"), CallKind.AUTH)

    assert isinstance(error, PlatformUnavailable)
