"""Cross-connection links: allowlist entries whose automation also spends another
connection's calls (`drives`), so that connection's brake must reach them too.

Finding them costs one query of the allowlist's sparse DrivesIndex (only entries that drive
another connection are in it), whatever the fleet's size: not a query per connection.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from apibrake.aws_threads import AwsThreads
from apibrake.incident.deps import IncidentDeps
from apibrake.models.allowlist import AllowlistEntry
from apibrake.models.connection import Connection


@dataclass(frozen=True)
class LinkedBrake:
    """Entries of `connection` to brake because they drive connections braked now."""

    connection: Connection
    entries: list[AllowlistEntry]
    driven: tuple[str, ...]  # the braked connections these entries drive

    @property
    def reason(self) -> str:
        return f"linked brake: these automations drive {', '.join(self.driven)}"


async def linked_brakes(
    deps: IncidentDeps,
    aws: AwsThreads,
    braking: Collection[str],
    every: list[Connection],
    tier: int,
) -> list[LinkedBrake]:
    """For each enabled connection not braked in this run, its entries (of `tier` or
    below) that drive a connection in `braking`."""
    targets = set(braking)
    candidates = [c for c in every if c.enabled and c.connection_id not in targets]
    if not targets or not candidates:
        return []
    found = await aws.call(deps.allowlist.driving_any, targets)
    links = []
    for connection in candidates:
        usable = [e for e in found.get(connection.connection_id, []) if e.tier <= tier]
        if usable:
            driven = sorted({d for e in usable for d in e.drives if d in targets})
            links.append(LinkedBrake(connection, usable, tuple(driven)))
    return links
