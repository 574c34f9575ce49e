"""Where a command acts and how it prints: the options every command accepts."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Options:
    """Where to act and how to print, gathered from the options of the group and command."""

    stack: str = "apibrake"
    profile: str | None = None
    region: str | None = None
    local: bool = False
    json: bool = False
    debug: bool = False
