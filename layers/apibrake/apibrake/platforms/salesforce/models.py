"""Shapes of Salesforce error items and Tooling composite requests and results."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_COMPOSITE_SUBREQUESTS = 25


@dataclass(frozen=True)
class SalesforceErrorItem:
    error_code: str
    message: str


def parse_error_items(body: Any) -> tuple[SalesforceErrorItem, ...]:
    """Salesforce error bodies: `[{"message": "..", "errorCode": ".."}]` (a lone object too)."""
    items = body if isinstance(body, list) else [body]
    return tuple(
        SalesforceErrorItem(
            error_code=str(item.get("errorCode") or "UNKNOWN_ERROR"),
            message=str(item.get("message") or ""),
        )
        for item in items
        if isinstance(item, dict) and ("errorCode" in item or "message" in item)
    )


@dataclass(frozen=True)
class CompositeSubrequest:
    method: str
    url: str  # a path starting with /services/data/
    reference_id: str
    body: Mapping[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        request: dict[str, Any] = {
            "method": self.method,
            "url": self.url,
            "referenceId": self.reference_id,
        }
        if self.body is not None:
            request["body"] = dict(self.body)
        return request


@dataclass(frozen=True)
class CompositeResult:
    reference_id: str
    status: int
    body: Any = None
    errors: tuple[SalesforceErrorItem, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300 and not self.errors
