"""How an automation and its state read for a person, the same words everywhere: CLI tables,
the journal view, alerts and the drill's summary (the JSON keeps the platform's own)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# A deactivated flow: its `active_version` is None in the journal and the JSON.
NO_ACTIVE_VERSION = "no active version"
# The fields of a recorded state worth a person's look (flow, scheduled Apex, workflow,
# user, setting); the rest (ids, times) stays in the JSON.
SHOWN_FIELDS = ("active_version", "state", "cron", "isEnabled", "revisionId", "frozen", "value")


def state_text(state: Mapping[str, Any] | None) -> str:
    """A recorded state as one short line: `active_version=3`, `no active version`,
    `isEnabled=False, revisionId=8`; '-' when nothing was recorded."""
    if not state:
        return "-"
    parts = [_field_text(key, state[key]) for key in state if key in SHOWN_FIELDS]
    return ", ".join(parts) or "-"


def _field_text(key: str, value: Any) -> str:
    if key == "active_version" and value is None:
        return NO_ACTIVE_VERSION
    return f"{key}={value}"


def with_label(automation: str, label: str | None) -> str:
    """`workflow:2001 (Enrichment - chatty)`: the allowlist's key and, beside it, the name
    the platform shows when it says more than the key does."""
    name = automation.partition(":")[2]
    if not label or label in (automation, name):
        return automation
    return f"{automation} ({label})"
