"""A permission or scope apibrake needs, declared next to the calls that need it.

`name` is the platform's own API name (a Salesforce user permission such as `ViewSetup`, a
HubSpot scope such as `automation`): the one a permission set, a missing-scope answer and
`apibrake connections test` use. `label` is what the platform's setup pages show.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Permission:
    name: str
    label: str
    why: str
    # Only a real change proves it: `connections test` lists it as not checked.
    write: bool = False

    def __str__(self) -> str:
        return self.name if self.label == self.name else f"{self.name} ({self.label})"


def unique(permissions: Iterable[Permission]) -> tuple[Permission, ...]:
    """Each permission once, by name, in first-seen order."""
    seen: dict[str, Permission] = {}
    for permission in permissions:
        seen.setdefault(permission.name, permission)
    return tuple(seen.values())
