"""Salesforce's error bodies: a JSON array of {message, errorCode[, fields]}."""

from __future__ import annotations

from typing import Any

from sandbox.http import Response

TOTAL_REQUESTS = "TotalRequests Limit exceeded."
CONCURRENT_REQUESTS = "ConcurrentRequests (concurrent API requests) Limit exceeded."
NOT_FOUND_MESSAGE = "The requested resource does not exist"


def error_body(error_code: str, message: str, fields: list[str] | None = None) -> list[Any]:
    item: dict[str, Any] = {"message": message, "errorCode": error_code}
    if fields is not None:
        item["fields"] = fields
    return [item]


def error(status: int, error_code: str, message: str, fields: list[str] | None = None) -> Response:
    return Response.json(status, error_body(error_code, message, fields))


def not_found() -> Response:
    return error(404, "NOT_FOUND", NOT_FOUND_MESSAGE)


def invalid_session() -> Response:
    return error(401, "INVALID_SESSION_ID", "Session expired or invalid")


def total_requests_exceeded() -> Response:
    return error(403, "REQUEST_LIMIT_EXCEEDED", TOTAL_REQUESTS)


def concurrent_requests_exceeded() -> Response:
    return error(403, "REQUEST_LIMIT_EXCEEDED", CONCURRENT_REQUESTS)


def server_error(status: int) -> Response:
    if status == 503:
        return error(503, "SERVER_UNAVAILABLE", "Server temporarily unavailable. Try again later.")
    return error(
        status,
        "UNKNOWN_EXCEPTION",
        "An unexpected error occurred. Please include this ErrorId if you contact support: "
        "1183729016-42131 (-1257862217)",
    )
