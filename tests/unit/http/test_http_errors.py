from __future__ import annotations

import pytest

from apibrake.http.errors import (
    MAX_MESSAGE_CHARS,
    AuthenticationFailed,
    DailyLimitExhausted,
    MalformedResponse,
    NotFound,
    PermissionDenied,
    PlatformError,
    PlatformUnavailable,
    RateLimited,
    RequestRejected,
)


def test_message_names_platform_status_code_and_correlation_id() -> None:
    error = PermissionDenied(
        "hubspot",
        "This app hasn't been granted all required scopes",
        status=403,
        code="MISSING_SCOPES",
        correlation_id="aeb5f871",
        missing_scopes=("automation",),
    )

    assert str(error) == (
        "hubspot: This app hasn't been granted all required scopes "
        "(HTTP 403, MISSING_SCOPES, correlationId=aeb5f871)"
    )
    assert repr(error).startswith('PermissionDenied("hubspot: ')
    assert error.missing_scopes == ("automation",)


def test_long_messages_are_clipped() -> None:
    error = RequestRejected("salesforce", "x" * 5000)

    assert len(error.message) == MAX_MESSAGE_CHARS


@pytest.mark.parametrize(
    ("error_class", "retryable"),
    [
        (AuthenticationFailed, False),
        (PermissionDenied, False),
        (DailyLimitExhausted, False),
        (RateLimited, True),
        (PlatformUnavailable, True),
        (MalformedResponse, True),
        (RequestRejected, False),
        (NotFound, False),
    ],
)
def test_only_transient_errors_are_retryable(
    error_class: type[PlatformError], retryable: bool
) -> None:
    assert error_class("salesforce", "x").retryable is retryable


def test_malformed_response_is_retried_once_at_most() -> None:
    assert MalformedResponse.max_retries == 1


def test_not_found_is_a_rejected_request() -> None:
    assert issubclass(NotFound, RequestRejected)
