"""Whether allowlist entries name automations the org or portal has (`allowlist add` and
`allowlist import`; `--no-check` skips it, for offline use).

A misspelt entry is worse than none: the allowlist looks complete, and in an incident the
brake reads it, finds nothing and the runaway automation keeps running. So each kind's
names are read as a brake reads them (the adapter's `inventory`: one read per kind), and a
name that read misses is looked up among what `apibrake discover` lists of its kind, which
also gives the close names for "did you mean". Discovery costs a few calls more, spent only
for a kind with a name the brake's read did not find.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import get_close_matches
from typing import Any

from apibrake.http.errors import PlatformError
from apibrake.http.transport import platform_client
from apibrake.incident.adapters import adapter_for
from apibrake.incident.adapters.base import Observed
from apibrake.models.allowlist import AllowlistEntry, AutomationKind
from apibrake.models.connection import Connection, Platform
from apibrake.platforms.connect import connect
from apibrake.platforms.permissions import refused_permissions
from apibrake_cli.steps import command_line

NEAR_NAMES = 3
# difflib's own default: a name this close is most likely the same one mistyped.
CLOSENESS = 0.6


@dataclass(frozen=True)
class NotFound:
    """An entry whose automation neither the brake's read nor discovery finds."""

    connection_id: str
    automation: str
    near: tuple[str, ...]  # the closest names discovery lists of its kind

    def problem(self, platform: Platform) -> str:
        return f"{self.automation} {self.reason(platform)}"

    def reason(self, platform: Platform) -> str:
        where = "the org" if platform is Platform.SALESFORCE else "the portal"
        said = f"matches nothing in {where} of {self.connection_id}"
        if self.near:
            return f"{said}; did you mean {' or '.join(self.near)}?"
        listing = command_line("discover", self.connection_id, "--yes")
        return f"{said} ({listing} lists what it has)"


@dataclass
class Existence:
    """What the check found: the brake's reads by kind, the entries not found, the kinds
    the connection may not read yet (and why), the calls spent."""

    observed: dict[AutomationKind, dict[str, Observed]] = field(default_factory=dict)
    not_found: list[NotFound] = field(default_factory=list)
    unchecked: dict[AutomationKind, str] = field(default_factory=dict)
    api_calls: int = 0

    def labelled(self, entry: AllowlistEntry) -> AllowlistEntry:
        """The entry with the name the platform showed for it (a HubSpot workflow's),
        when the key does not say it; as given otherwise."""
        observed = self.observed.get(entry.kind, {}).get(entry.name)
        label = adapter_for(entry.kind).label(observed.summary) if observed else None
        return entry.model_copy(update={"label": label}) if label else entry

    def warnings(self, connection_id: str) -> list[str]:
        test = command_line("connections", "test", connection_id)
        return [
            f"{kind.value} entries of {connection_id} not checked: {why} ({test} names what "
            "to grant; a brake needs it too)"
            for kind, why in self.unchecked.items()
        ]


def _names_by_kind(entries: Iterable[AllowlistEntry]) -> dict[AutomationKind, list[str]]:
    by_kind: dict[AutomationKind, list[str]] = {}
    for entry in entries:
        names = by_kind.setdefault(entry.kind, [])
        if entry.name not in names:
            names.append(entry.name)
    return by_kind


async def _check_kind(
    client: Any, connection: Connection, kind: AutomationKind, names: list[str], found: Existence
) -> None:
    adapter = adapter_for(kind)
    try:
        seen = await adapter.inventory(client, names)
        found.observed[kind] = seen
        missed = [name for name in names if name not in seen]
        # Discovery is the authority where the brake's read may drop a name it failed on
        # (HubSpot's batch read), and lists the names to propose instead.
        discovered = await adapter.discover(client) if missed else []
    except PlatformError as error:
        # A permission granted only once its kind is allowlisted (Manage Users) is missing
        # at this point by design: the entry is kept, unchecked, and the gap named.
        reads = tuple(p for p in adapter.permissions if not p.write)
        refused = refused_permissions(connection.platform, error, reads)
        if not refused:
            raise
        found.unchecked[kind] = "reading them needs " + ", ".join(str(p) for p in refused)
        return
    listed = [item.automation.partition(":")[2] for item in discovered]
    for name in missed:
        if name in listed:
            continue
        near = get_close_matches(name, listed, n=NEAR_NAMES, cutoff=CLOSENESS)
        found.not_found.append(
            NotFound(
                connection.connection_id,
                f"{kind.value}:{name}",
                tuple(f"{kind.value}:{n}" for n in near),
            )
        )


async def check_existence(
    connection: Connection, secret: dict[str, Any], entries: Iterable[AllowlistEntry]
) -> Existence:
    """One inventory read per kind among `entries` (the brake's own), and one discovery
    of each kind with a name that read did not find."""
    found = Existence()
    async with platform_client() as http:
        client: Any = connect(connection, secret, http)
        try:
            for kind, names in _names_by_kind(entries).items():
                await _check_kind(client, connection, kind, names, found)
        finally:
            # The client's own count: calls the platform bills, retries included.
            found.api_calls = client.http.billable_calls
    return found
