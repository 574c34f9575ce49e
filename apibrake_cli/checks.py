"""`connections test`: what a connection's credentials can do, proven with cheap calls.

Read permissions are proven by one small read each (usage, a one-row query, a one-flow
page). Write permissions (Manage Flows, Author Apex) no read can exercise: on Salesforce the
integration user's permission set assignments are read instead (one query, changing
nothing), so a write permission the user lacks is named before any brake needs it; where
they cannot be read (HubSpot, a field the org lacks) it stays not checked: only a real
brake, or a rehearsal, proves it.
A refused read names the permissions or scopes it proves, each with the line that grants
it (the Salesforce permission set's `<userPermissions>` entry, the HubSpot scope to tick).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from apibrake.http.errors import (
    AuthenticationFailed,
    DailyLimitExhausted,
    PermissionDenied,
    PlatformError,
)
from apibrake.http.transport import platform_client
from apibrake.incident.adapters import adapter_for, all_permissions, required_permissions
from apibrake.incident.adapters.base import Observed
from apibrake.models.allowlist import AllowlistEntry, AutomationKind
from apibrake.models.connection import Connection, Platform
from apibrake.models.permissions import Permission, unique
from apibrake.models.rehearsal import RehearsalRecord
from apibrake.platforms.connect import connect
from apibrake.platforms.hubspot.flows import has_list_branches
from apibrake.platforms.hubspot.usage import ALL_APP_TYPES_VERSIONS
from apibrake.platforms.permissions import how_to_grant, refused_permissions, usage_permissions
from apibrake.platforms.salesforce.effective_permissions import (
    EffectivePermissions,
    read_effective_permissions,
    unread,
)
from apibrake_cli.apex_exactness import advice
from apibrake_cli.errors import ExitCode
from apibrake_cli.output import moment
from apibrake_cli.steps import command_line

OK, MISSING, FAILED, NOT_CHECKED, WARNING = "ok", "missing", "failed", "not checked", "warning"


@dataclass
class Check:
    name: str
    outcome: str
    detail: str = ""
    code: ExitCode = ExitCode.OK
    missing: tuple[Permission, ...] = ()  # what a refusal says is not granted
    granted_by: tuple[str, ...] = ()  # the permission sets that grant it, when read


@dataclass
class CheckResult:
    connection_id: str
    platform: Platform
    checks: list[Check] = field(default_factory=list)
    api_calls: int = 0

    def exit_code(self) -> ExitCode:
        codes = {check.code for check in self.checks}
        for code in (ExitCode.LIMIT_EXHAUSTED, ExitCode.PERMISSION, ExitCode.FAILED):
            if code in codes:
                return code
        return ExitCode.OK

    def missing(self) -> tuple[Permission, ...]:
        return unique(p for check in self.checks for p in check.missing)

    def grants(self) -> list[str]:
        """One line per missing permission: its name, label, and how to grant it."""
        return [f"{p}: {how_to_grant(self.platform, p)}" for p in self.missing()]

    def advice(self) -> str:
        code = self.exit_code()
        test_again = command_line("connections", "test", self.connection_id)
        if any(c.name == "authenticate" and c.outcome == FAILED for c in self.checks):
            store = command_line(
                "connections", "add", self.connection_id,
                "--platform", self.platform.value, "--secret-file", "FILE",
            )  # fmt: skip
            return (
                "the credentials did not authenticate (the detail says why): fix the secret, "
                f"store it again with {store}, then run {test_again}"
            )
        if code is ExitCode.LIMIT_EXHAUSTED:
            return "the daily limit is spent; see the runbook (switch automations off by hand)"
        if code is ExitCode.PERMISSION:
            return (
                "grant what is missing to the integration user or app (docs: setup), "
                f"then run {test_again} again"
            )
        debug = command_line("connections", "test", self.connection_id, "--debug")
        return f"run {debug} for details"

    def as_json(self) -> dict[str, Any]:
        return {
            "connection_id": self.connection_id,
            "ok": self.exit_code() is ExitCode.OK,
            "api_calls": self.api_calls,
            "checks": [
                {
                    "check": c.name,
                    "outcome": c.outcome,
                    "detail": c.detail,
                    "missing": [p.name for p in c.missing],
                    "granted_by": list(c.granted_by),
                }
                for c in self.checks
            ],
            "missing": [self._described(p) for p in self.missing()],
        }

    def _described(self, permission: Permission) -> dict[str, str]:
        return {
            "name": permission.name,
            "label": permission.label,
            "why": permission.why,
            "grant": how_to_grant(self.platform, permission),
        }


def _failure(name: str, error: PlatformError, missing: tuple[Permission, ...] = ()) -> Check:
    if isinstance(error, DailyLimitExhausted):
        return Check(name, FAILED, str(error), ExitCode.LIMIT_EXHAUSTED)
    if isinstance(error, AuthenticationFailed):
        return Check(name, FAILED, str(error), ExitCode.PERMISSION)
    if missing:
        named = ", ".join(str(p) for p in missing)
        return Check(name, MISSING, f"{error}; missing: {named}", ExitCode.PERMISSION, missing)
    if isinstance(error, PermissionDenied):
        return Check(name, MISSING, str(error), ExitCode.PERMISSION)
    return Check(name, FAILED, str(error), ExitCode.FAILED)


async def run_checks(
    connection: Connection,
    secret: dict[str, Any],
    entries: list[AllowlistEntry],
    rehearsals: Sequence[RehearsalRecord] = (),
) -> CheckResult:
    result = CheckResult(connection.connection_id, connection.platform)
    kinds = {entry.kind for entry in entries}
    needed = required_permissions(connection.platform)
    # An empty allowlist checks every kind but the opt-in ones (a user freeze).
    wanted = sorted(kinds & set(needed)) or sorted(k for k in needed if not adapter_for(k).opt_in)
    # Scheduled Apex jobs braked only if they come back exactly: worth knowing at setup.
    jobs = [
        e.name
        for e in entries
        if e.kind is AutomationKind.SCHEDULED_APEX and not e.allow_inexact_restore
    ]
    # Workflows with list branches: HubSpot has been reported to refuse their updates.
    workflows = [e.name for e in entries if e.kind is AutomationKind.WORKFLOW]
    async with platform_client() as http:
        client: Any = connect(connection, secret, http)
        try:
            authenticated = await _check_authentication(client, result, secret)
            if authenticated and await _check_usage(
                client, result, secret, allowlist_empty=not kinds
            ):
                held = await _check_effective_permissions(client, result)
                for kind in wanted:
                    await _check_kind(client, result, kind, held)
            found: dict[AutomationKind, dict[str, Observed]] = {}
            if result.exit_code() is ExitCode.OK:
                found = await _check_inventories(client, result, entries)
            if jobs and AutomationKind.SCHEDULED_APEX in found:
                _check_exact_restore(result, jobs, found[AutomationKind.SCHEDULED_APEX])
            if workflows and result.exit_code() is ExitCode.OK:
                await _check_branching(client, result, workflows, rehearsals)
            if _reads_private_apps_only(client) and result.exit_code() is ExitCode.OK:
                await _check_usage_scope(client, result)
        finally:
            # The client's own count: calls the platform bills, retries included.
            result.api_calls = client.http.billable_calls
    result.checks += _rehearsal_checks(result, rehearsals)
    return result


def _rehearsal_checks(result: CheckResult, rehearsals: Sequence[RehearsalRecord]) -> list[Check]:
    """What the last rehearsal of each kind proved (stored: no API call); nothing past a
    failed authentication, the one thing to fix then."""
    if any(c.name == "authenticate" and c.outcome == FAILED for c in result.checks):
        return []
    if not rehearsals:
        rehearse = command_line("rehearse", result.connection_id)
        return [Check("rehearsal", NOT_CHECKED, f"brake unconfirmed until rehearsed: {rehearse}")]
    checks = []
    for record in sorted(rehearsals, key=lambda r: r.kind.value):
        when = f"rehearsed {moment(record.rehearsed_at)}"
        name = f"{record.kind.value}: rehearsal"
        if record.proven:
            checks.append(Check(name, OK, f"{when}: exact ({record.calls} API calls)"))
        else:
            why = "; ".join(record.differences) or "not braked and released"
            checks.append(Check(name, WARNING, f"{when}: not exact: {why}"))
    return checks


# Hosts that serve no client-credentials token: the org's My Domain host does.
_LOGIN_HOSTS = ("login.salesforce.com", "test.salesforce.com")
MY_DOMAIN_ADVICE = (
    "client credentials need the org's My Domain URL as instance_url "
    "(https://YOURDOMAIN.my.salesforce.com), not {host}: store the secret again with it "
    "(docs/setup.md, Salesforce)"
)


def login_host_misuse(secret: dict[str, Any]) -> str | None:
    """The advice when a client-credentials secret names Salesforce's login host, which
    does not serve that flow; None otherwise."""
    if secret.get("auth") != "client_credentials":
        return None
    host = urlsplit(str(secret.get("instance_url") or "")).hostname or ""
    return MY_DOMAIN_ADVICE.format(host=host) if host in _LOGIN_HOSTS else None


def _authentication_failed(error: PlatformError, secret: dict[str, Any]) -> Check:
    check = _failure("authenticate", error)
    misuse = login_host_misuse(secret)
    if misuse:
        check.detail = f"{check.detail}; {misuse}"
        check.code = ExitCode.PERMISSION
    return check


async def _check_authentication(client: Any, result: CheckResult, secret: dict[str, Any]) -> bool:
    """Gets a token; a failed token request (refused, unreachable, a login host that does
    not serve the flow) is a failed authentication, never `ok` then a failed read."""
    try:
        await client.authenticate()
    except PlatformError as error:
        result.checks.append(_authentication_failed(error, secret))
        return False
    return True


async def _check_usage(
    client: Any, result: CheckResult, secret: dict[str, Any], *, allowlist_empty: bool
) -> bool:
    """Reads usage once (a static token is first tried here); False when nothing else can
    be checked."""
    needs = usage_permissions(result.platform)
    try:
        reading = await client.usage()
    except AuthenticationFailed as error:
        result.checks.append(_authentication_failed(error, secret))
        return False
    except PlatformError as error:
        missing = refused_permissions(result.platform, error, needs)
        result.checks.append(Check("authenticate", OK))
        result.checks.append(_failure("read usage", error, missing))
        return False
    result.checks.append(Check("authenticate", OK))
    result.checks.append(
        Check(
            "read usage", OK, f"{reading.used:,}/{reading.limit:,} calls ({reading.percent:.1f}%)"
        )
    )
    result.checks += [Check(f"read usage needs {p}", OK) for p in needs]
    if allowlist_empty:
        result.checks.append(
            Check(
                "allowlist",
                NOT_CHECKED,
                "empty: checking what every kind needs (but user freezes, which are opt-in)",
            )
        )
    return True


async def _check_effective_permissions(client: Any, result: CheckResult) -> EffectivePermissions:
    """The integration user's permissions, read from its permission set assignments (one
    query; docs/platform-notes.md S7): what tells the write permissions apart. HubSpot has
    no such read; a refused read leaves the writes not checked, as before."""
    name = "read permission set assignments"
    if result.platform is not Platform.SALESFORCE:
        return unread("no read of granted permissions on this platform")
    try:
        held = await read_effective_permissions(client, all_permissions(Platform.SALESFORCE))
    except DailyLimitExhausted as error:
        result.checks.append(_failure(name, error))
        return unread(str(error))
    except PlatformError as error:
        held = unread(f"the permission set assignments were not readable: {error}")
    if held.unread_because:
        result.checks.append(Check(name, NOT_CHECKED, held.unread_because))
    else:
        unchecked = f"; the org has no field for {', '.join(sorted(held.unchecked))}"
        detail = "the integration user's permissions, read-only" + (
            unchecked if held.unchecked else ""
        )
        result.checks.append(Check(name, OK, detail))
    return held


async def _check_kind(
    client: Any, result: CheckResult, kind: AutomationKind, held: EffectivePermissions
) -> None:
    adapter = adapter_for(kind)
    name = f"{kind.value}: {adapter.probe_description}"
    reads = tuple(p for p in adapter.permissions if not p.write)
    try:
        await adapter.probe(client)
        outcome = Check(name, OK)
    except PlatformError as error:
        outcome = _failure(name, error, refused_permissions(result.platform, error, reads))
    result.checks.append(outcome)
    for permission in adapter.permissions:
        check = f"{kind.value} needs {permission}"
        granted_by = held.granted_by.get(permission.name, ())
        if permission.write:
            result.checks.append(_write_check(result.platform, check, permission, held))
        elif permission in outcome.missing:
            result.checks.append(
                Check(check, MISSING, outcome.detail, ExitCode.PERMISSION, (permission,))
            )
        else:
            detail = outcome.detail or f"proven by the {adapter.probe_description}"
            result.checks.append(
                Check(check, outcome.outcome, detail, outcome.code, granted_by=granted_by)
            )


def _write_check(
    platform: Platform, check: str, permission: Permission, held: EffectivePermissions
) -> Check:
    """A write permission by what the user holds: no read exercises it, so a brake would
    be the first call to need it; named now when missing."""
    if not held.checked(permission):
        why = held.unread_because or "the org has no permission field for it"
        return Check(
            check, NOT_CHECKED, f"a write (or tied to one): only a real brake proves it ({why})"
        )
    if held.holds(permission):
        sets = held.granted_by[permission.name]
        return Check(check, OK, f"granted ({', '.join(sets)})", granted_by=sets)
    return Check(
        check,
        MISSING,
        f"missing: {permission}; grant it with {how_to_grant(platform, permission)}",
        ExitCode.PERMISSION,
        (permission,),
    )


def _reads_private_apps_only(client: Any) -> bool:
    """A HubSpot token saved as a private app's (the default), reading a legacy figure."""
    versions = getattr(client, "api_versions", {})
    return (
        getattr(client, "service_key", True) is False
        and "oauth" not in versions
        and versions.get("usage") not in ALL_APP_TYPES_VERSIONS
    )


async def _check_usage_scope(client: Any, result: CheckResult) -> None:
    """A service key saved with the default token_type reads a figure without its own
    calls: the 2027-03-beta figure's usageByAppType shows whether service keys spend here
    (one call; nothing said when the beta will not answer)."""
    try:
        reading = await client.usage_of("2027-03-beta")
    except PlatformError:
        return
    service_keys = reading.by_app_type.get("SERVICE_KEY", 0)
    if service_keys > 0:
        result.checks.append(
            Check(
                "usage figure scope",
                WARNING,
                f"service keys spent {service_keys:,} calls today, which the legacy figure "
                "this connection reads leaves out. If its token is a service key, add "
                '"token_type": "service_key" to the secret (it then reads 2027-03-beta)',
            )
        )


async def _check_branching(
    client: Any, result: CheckResult, flow_ids: list[str], rehearsals: Sequence[RehearsalRecord]
) -> None:
    # A rehearsal that braked and released a branching canary workflow exactly proved the
    # portal accepts updates of branching workflows: the "unconfirmed" warning is cleared.
    proof = next((r for r in rehearsals if r.proves_branch_updates), None)
    try:
        flows = await client.batch_read_flows(flow_ids)
    except PlatformError as error:
        result.checks.append(_failure("workflow: list branches", error))
        return
    for flow in flows:
        if has_list_branches(flow) and proof is not None:
            result.checks.append(
                Check(
                    f"workflow:{flow.get('id')} brake",
                    OK,
                    "it has list branches; the rehearsal of "
                    f"{moment(proof.rehearsed_at)} proved this portal accepts their updates",
                )
            )
        elif has_list_branches(flow):
            result.checks.append(
                Check(
                    f"workflow:{flow.get('id')} brake",
                    WARNING,
                    "brake unconfirmed: it has list branches, and HubSpot has been reported "
                    "to refuse updates of such workflows through the API; a brake would leave "
                    "it to you (HubSpot Automation > Workflows) until one is seen to work",
                )
            )


async def _check_inventories(
    client: Any, result: CheckResult, entries: list[AllowlistEntry]
) -> dict[AutomationKind, dict[str, Observed]]:
    """The brake's own reads of the allowlisted automations, kind by kind, as an incident
    would send them (they change nothing): a field or relationship this org refuses shows
    now, not mid-incident, and an entry that matches nothing in the org is named."""
    names: dict[AutomationKind, list[str]] = {}
    for entry in entries:
        names.setdefault(entry.kind, []).append(entry.name)
    found: dict[AutomationKind, dict[str, Observed]] = {}
    for kind, listed in sorted(names.items()):
        adapter = adapter_for(kind)
        check = f"{kind.value}: the brake's reads"
        try:
            found[kind] = await adapter.inventory(client, listed)
        except PlatformError as error:
            reads = tuple(p for p in adapter.permissions if not p.write)
            result.checks.append(
                _failure(check, error, refused_permissions(result.platform, error, reads))
            )
            continue
        missing = [name for name in listed if name not in found[kind]]
        result.checks.append(
            Check(check, OK, f"{len(listed) - len(missing)} of {len(listed)} allowlisted found")
        )
        result.checks += [
            Check(
                f"{kind.value}:{name}",
                WARNING,
                "matches nothing in the org: check the spelling (apibrake discover lists "
                "what there is); a brake would skip it",
            )
            for name in missing
        ]
    return found


def _check_exact_restore(result: CheckResult, jobs: list[str], found: dict[str, Observed]) -> None:
    for name in jobs:
        differs = found[name].summary.get("inexact") if name in found else None
        if differs:
            result.checks.append(
                Check(f"scheduled_apex:{name} exact restore", WARNING, advice(name, differs))
            )
        elif name in found:
            result.checks.append(Check(f"scheduled_apex:{name} exact restore", OK))
