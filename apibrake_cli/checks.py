"""`connections test`: what a connection's credentials can do, proven with cheap calls.

Read permissions are proven by one small read each (usage, a one-row query, a one-flow
page). Write permissions (Manage Flows, Author Apex) only a real change could prove, so
they are listed as not checked: a dry-run brake shows the plan without changing anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from apibrake.http.errors import (
    AuthenticationFailed,
    DailyLimitExhausted,
    PermissionDenied,
    PlatformError,
)
from apibrake.http.transport import platform_client
from apibrake.incident.adapters import adapter_for, required_permissions
from apibrake.models.allowlist import AllowlistEntry, AutomationKind
from apibrake.models.connection import Connection
from apibrake.platforms.connect import connect
from apibrake_cli.apex_exactness import advice
from apibrake_cli.errors import ExitCode

OK, MISSING, FAILED, NOT_CHECKED, WARNING = "ok", "missing", "failed", "not checked", "warning"


@dataclass
class Check:
    name: str
    outcome: str
    detail: str = ""
    code: ExitCode = ExitCode.OK


@dataclass
class CheckResult:
    connection_id: str
    checks: list[Check] = field(default_factory=list)
    api_calls: int = 0

    def exit_code(self) -> ExitCode:
        codes = {check.code for check in self.checks}
        for code in (ExitCode.LIMIT_EXHAUSTED, ExitCode.PERMISSION, ExitCode.FAILED):
            if code in codes:
                return code
        return ExitCode.OK

    def advice(self) -> str:
        code = self.exit_code()
        if code is ExitCode.LIMIT_EXHAUSTED:
            return "the daily limit is spent; see the runbook (switch automations off by hand)"
        if code is ExitCode.PERMISSION:
            return (
                "grant what is missing to the integration user or app (docs: setup), "
                f"then run apibrake connections test {self.connection_id} again"
            )
        return f"run apibrake connections test {self.connection_id} --debug for details"

    def as_json(self) -> dict[str, Any]:
        return {
            "connection_id": self.connection_id,
            "ok": self.exit_code() is ExitCode.OK,
            "api_calls": self.api_calls,
            "checks": [
                {"check": c.name, "outcome": c.outcome, "detail": c.detail} for c in self.checks
            ],
        }


def _failure(name: str, error: PlatformError) -> Check:
    if isinstance(error, DailyLimitExhausted):
        return Check(name, FAILED, str(error), ExitCode.LIMIT_EXHAUSTED)
    if isinstance(error, AuthenticationFailed):
        return Check(name, FAILED, str(error), ExitCode.PERMISSION)
    if isinstance(error, PermissionDenied):
        scopes = (
            f"; missing scopes: {', '.join(error.missing_scopes)}" if error.missing_scopes else ""
        )
        return Check(name, MISSING, f"{error}{scopes}", ExitCode.PERMISSION)
    return Check(name, FAILED, str(error), ExitCode.FAILED)


def _proven_by(permission: str) -> str:
    """'usage' (the usage read proves it), 'probe' (the kind's read), or 'none' (a write)."""
    if permission.startswith(("API Enabled", "oauth")):
        return "usage"
    if permission.startswith(("Manage", "Author")):
        return "none"
    return "probe"


async def run_checks(
    connection: Connection, secret: dict[str, Any], entries: list[AllowlistEntry]
) -> CheckResult:
    result = CheckResult(connection.connection_id)
    kinds = {entry.kind for entry in entries}
    needed = required_permissions(connection.platform)
    wanted = sorted(kinds & set(needed)) or sorted(needed)
    # Scheduled Apex jobs braked only if they come back exactly: worth knowing at setup.
    jobs = [
        e.name
        for e in entries
        if e.kind is AutomationKind.SCHEDULED_APEX and not e.allow_inexact_restore
    ]
    async with platform_client() as http:
        client: Any = connect(connection, secret, http)
        try:
            await _check_all(client, result, needed, wanted, allowlist_empty=not kinds)
            if jobs and result.exit_code() is ExitCode.OK:
                await _check_exact_restore(client, result, jobs)
        finally:
            # The client's own count: calls the platform bills, retries included.
            result.api_calls = client.http.billable_calls
    return result


async def _check_all(
    client: Any,
    result: CheckResult,
    needed: dict[AutomationKind, tuple[str, ...]],
    wanted: list[AutomationKind],
    *,
    allowlist_empty: bool,
) -> None:
    try:
        reading = await client.usage()
    except AuthenticationFailed as error:
        result.checks.append(_failure("authenticate", error))
        return
    except PlatformError as error:
        result.checks.append(Check("authenticate", OK))
        result.checks.append(_failure("read usage", error))
        return
    result.checks.append(Check("authenticate", OK))
    result.checks.append(
        Check(
            "read usage", OK, f"{reading.used:,}/{reading.limit:,} calls ({reading.percent:.1f}%)"
        )
    )
    if allowlist_empty:
        result.checks.append(
            Check("allowlist", NOT_CHECKED, "empty: checking what every kind needs")
        )
    for kind in wanted:
        adapter = adapter_for(kind)
        description = adapter.probe_description
        try:
            await adapter.probe(client)
            outcome = Check(f"{kind.value}: {description}", OK)
        except PlatformError as error:
            outcome = _failure(f"{kind.value}: {description}", error)
        result.checks.append(outcome)
        for permission in needed[kind]:
            result.checks.append(_permission_check(kind, permission, outcome, description))


async def _check_exact_restore(client: Any, result: CheckResult, jobs: list[str]) -> None:
    adapter = adapter_for(AutomationKind.SCHEDULED_APEX)
    try:
        found = await adapter.inventory(client, jobs)
    except PlatformError as error:
        result.checks.append(_failure("scheduled_apex: exact restore", error))
        return
    for name in jobs:
        differs = found[name].summary.get("inexact") if name in found else None
        if differs:
            result.checks.append(
                Check(f"scheduled_apex:{name} exact restore", WARNING, advice(name, differs))
            )
        elif name in found:
            result.checks.append(Check(f"scheduled_apex:{name} exact restore", OK))


def _permission_check(
    kind: AutomationKind, permission: str, outcome: Check, description: str
) -> Check:
    proof = _proven_by(permission)
    name = f"{kind.value} needs {permission}"
    if proof == "usage":
        return Check(name, OK, "proven by the usage read")
    if proof == "none":
        return Check(name, NOT_CHECKED, "a write: only a real brake proves it")
    return Check(name, outcome.outcome, outcome.detail or description, outcome.code)
