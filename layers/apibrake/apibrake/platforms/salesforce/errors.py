"""Salesforce error responses -> apibrake error classes.

Bodies are arrays of `{"message", "errorCode"}`; the token endpoint answers
`{"error", "error_description"}` instead.
"""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree

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
from apibrake.http.profile import CallKind
from apibrake.models.connection import Platform
from apibrake.platforms.salesforce.models import parse_error_items

SALESFORCE = Platform.SALESFORCE.value
REQUEST_LIMIT_EXCEEDED = "REQUEST_LIMIT_EXCEEDED"
# The org's 1,000 DebuggingHeader calls a day are spent ("This org has reached its daily
# usage limit of apex log headers"; its fault code is not documented: known by its words).
DEBUGGING_ALLOCATION_WORDS = "apex log headers"
DEBUGGING_ALLOCATION_SPENT = "DEBUGGING_HEADER_LIMIT"
_SOAP_ENVELOPE = "http://schemas.xmlsoap.org/soap/envelope/"


class DebuggingAllocationSpent(DailyLimitExhausted):
    """The break-glass channel is refused too: the org's DebuggingHeader calls are spent."""


def classify_salesforce_error(response: httpx.Response, kind: CallKind) -> PlatformError:
    status = response.status_code
    soap = soap_fault(response.content)
    if soap is not None:
        return _soap_error(*soap, status=status)
    code, message = _code_and_message(response)
    if status >= 500:
        return PlatformUnavailable(SALESFORCE, message, status=status, code=code)
    if kind is CallKind.AUTH and status != 429:
        return AuthenticationFailed(
            SALESFORCE, f"token request refused: {message}", status=status, code=code
        )
    if status == 401:
        return AuthenticationFailed(SALESFORCE, message, status=status, code=code)
    if code == REQUEST_LIMIT_EXCEEDED:
        return _limit_error(message, status)
    if status == 403:
        return PermissionDenied(SALESFORCE, message, status=status, code=code)
    if status == 404:
        return NotFound(SALESFORCE, message, status=status, code=code)
    if status == 429:
        return RateLimited(SALESFORCE, message, status=status, code=code)
    return RequestRejected(SALESFORCE, message, status=status, code=code)


def _limit_error(message: str, status: int) -> PlatformError:
    # Same errorCode, two meanings: `ConcurrentRequests ...` passes, `TotalRequests ...`
    # does not until calls age out of the rolling day. Unknown wording is treated as the
    # daily limit, because retrying it would only spend more of it.
    if message.lstrip().lower().startswith("concurrent"):
        return RateLimited(SALESFORCE, message, status=status, code=REQUEST_LIMIT_EXCEEDED)
    return DailyLimitExhausted(SALESFORCE, message, status=status, code=REQUEST_LIMIT_EXCEEDED)


def soap_fault(content: bytes) -> tuple[str, str] | None:
    """(faultcode without its prefix, faultstring) of a SOAP fault (the Apex SOAP API answers
    errors so, with HTTP 500); None for any other body."""
    if not content.lstrip().startswith(b"<"):
        return None
    try:
        root = ElementTree.fromstring(content)  # noqa: S314 - our own org's answer
    except ElementTree.ParseError:
        return None
    found = root.find(f".//{{{_SOAP_ENVELOPE}}}Fault")
    if found is None:
        return None
    code = (found.findtext("faultcode") or "").rpartition(":")[2]
    return code, found.findtext("faultstring") or code


def _soap_error(code: str, message: str, *, status: int) -> PlatformError:
    if DEBUGGING_ALLOCATION_WORDS in message.lower():
        return DebuggingAllocationSpent(
            SALESFORCE, message, status=status, code=DEBUGGING_ALLOCATION_SPENT
        )
    if code == REQUEST_LIMIT_EXCEEDED:
        return _limit_error(message, status)
    if code == "INVALID_SESSION_ID":
        return AuthenticationFailed(SALESFORCE, message, status=401, code=code)
    if code in ("INSUFFICIENT_ACCESS", "API_DISABLED_FOR_ORG"):
        return PermissionDenied(SALESFORCE, message, status=status, code=code)
    if code in ("SERVER_UNAVAILABLE", "UNKNOWN_EXCEPTION"):
        return PlatformUnavailable(SALESFORCE, message, status=status, code=code)
    return RequestRejected(SALESFORCE, message, status=status, code=code)


def _code_and_message(response: httpx.Response) -> tuple[str | None, str]:
    body = _json_or_none(response.content)
    if isinstance(body, dict) and "error" in body:  # token endpoint
        code = str(body["error"])
        return code, str(body.get("error_description") or code)
    items = parse_error_items(body)
    if items:
        return items[0].error_code, items[0].message or items[0].error_code
    content_type = response.headers.get("content-type", "unknown content type")
    return None, f"HTTP {response.status_code} without a Salesforce error body ({content_type})"


def _json_or_none(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return None


# A source the user cannot see, or the org does not have (no Event Monitoring licence):
# Salesforce answers as for an unknown object (docs/platform-notes.md A3); a resource the
# endpoint lacks (a composite the org's gateway does not serve) answers NOT_FOUND. Anything
# else (a field or path this org's version refuses) is noted, not remembered.
NOT_AVAILABLE = frozenset({"INVALID_TYPE", "INSUFFICIENT_ACCESS", "NOT_FOUND"})


def not_available(error: PlatformError) -> bool:
    """Whether the org refused a source it does not have or the user may not see (to be
    remembered, not retried), as opposed to a failure worth trying again."""
    return isinstance(error, PermissionDenied) or error.code in NOT_AVAILABLE
