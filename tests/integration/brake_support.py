"""Helpers of the brake and release integration tests (the stack is drill.stack.LocalStack)."""

from __future__ import annotations

from typing import Any

from sandbox.server import Sandbox


def rows_by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in report["rows"]}


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {row["name"]: row["status"] for row in report["rows"]}


def api_mutations(sandbox: Sandbox, platform: str | None = None) -> list[Any]:
    return [m for m in sandbox.audit.entries(platform=platform) if m.actor == "api"]
