"""Helpers of the brake and release integration tests (the stack is drill.stack.LocalStack)."""

from __future__ import annotations

import threading
from typing import Any

from drill.stack import LocalStack
from sandbox.server import Sandbox


def rows_by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in report["rows"]}


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {row["name"]: row["status"] for row in report["rows"]}


def api_mutations(sandbox: Sandbox, platform: str | None = None) -> list[Any]:
    return [m for m in sandbox.audit.entries(platform=platform) if m.actor == "api"]


def brake_concurrently(
    stack: LocalStack, connection_id: str, *, times: int
) -> list[dict[str, Any]]:
    """The same brake triggered by `times` threads at once (duplicate deliveries, operators)."""
    results: list[dict[str, Any]] = []
    threads = [
        threading.Thread(target=lambda: results.append(stack.brake(connection_id=connection_id)))
        for _ in range(times)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results
