"""Fault injection: rules matched against incoming requests, set per test or scenario."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from enum import StrEnum


class FaultKind(StrEnum):
    LATENCY = "latency"  # delay, then answer normally
    STATUS = "status"  # the platform's own error body for `status` (500, 502, 503, ...)
    RESET = "reset"  # TCP reset before any response
    TIMEOUT = "timeout"  # hold the request for `delay_ms`, then drop it unanswered
    # The platform applies the request, then its answer is lost: held for `delay_ms` (past
    # the client's read timeout, say), then the connection is reset.
    APPLIED_LOST = "applied_lost"
    HTML_ERROR = "html_error"  # a proxy's HTML error page with `status`
    MALFORMED_JSON = "malformed_json"  # 200 with a body that is not JSON
    TRUNCATED_BODY = "truncated_body"  # the real answer, cut short mid-body
    BURST_LIMIT = "burst_limit"  # HubSpot 429 TEN_SECONDLY_ROLLING
    DAILY_LIMIT = "daily_limit"  # Salesforce 403 TotalRequests / HubSpot 429 DAILY
    CONCURRENT_LIMIT = "concurrent_limit"  # Salesforce 403 ConcurrentRequests
    EXPIRED_TOKEN = "expired_token"  # 401 as for an expired session


@dataclass
class Fault:
    kind: FaultKind
    path: str = ""  # regex searched in the request path; "" matches every path
    method: str | None = None  # None matches every method
    times: int | None = 1  # how many matching requests it hits; None: until cleared
    skip: int = 0  # let this many matching requests through first
    status: int = 503
    delay_ms: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        return not self.path or re.search(self.path, path) is not None


class FaultInjector:
    """Thread-safe list of active faults for one platform server."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self.latency_ms = 0  # applied to every request

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self.latency_ms = 0

    def take(self, method: str, path: str) -> Fault | None:
        """The fault that applies to this request, consuming one of its `times`."""
        with self._lock:
            for fault in self._faults:
                if not fault.matches(method, path):
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                return fault
        return None
