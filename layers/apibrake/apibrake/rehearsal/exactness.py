"""Whether a release put an automation back exactly: its journal row's `before` (recorded
before the brake) against its `restored` (re-read after the release), field by field."""

from __future__ import annotations

from typing import Any

from apibrake.incident.records import JournalRow
from apibrake.models.allowlist import AutomationKind

# Fields that name or date an automation rather than say what it does, which a release
# changes by its nature: a re-created job gets a new id and start time (and its next fire
# time moves on if one passed meanwhile), a workflow PUT a new revision, a re-created
# setting row a new id and modification time.
INCIDENTAL_FIELDS: dict[AutomationKind, frozenset[str]] = {
    AutomationKind.FLOW: frozenset(),
    AutomationKind.SCHEDULED_APEX: frozenset({"id", "start_time", "next_fire_time"}),
    AutomationKind.SETTING: frozenset({"record_id", "last_modified"}),
    AutomationKind.WORKFLOW: frozenset({"revisionId"}),
    AutomationKind.USER: frozenset(),
}


def release_differences(row: JournalRow) -> list[str]:
    """Each field the release left otherwise than the brake found it ("field: before ->
    after"); empty when exact. Fields only one side records (an inventory's extra detail)
    cannot be compared and are left out; a row with nothing recorded after the release
    differs as a whole."""
    if row.before is None or row.restored is None:
        return ["nothing recorded " + ("before the brake" if row.before is None else "after")]
    ignored = INCIDENTAL_FIELDS.get(row.kind, frozenset())
    compared = sorted((set(row.before) & set(row.restored)) - ignored)
    return [
        f"{name}: {_shown(row.before[name])} -> {_shown(row.restored[name])}"
        for name in compared
        if row.before[name] != row.restored[name]
    ]


def _shown(value: Any) -> str:
    return "unset" if value is None else str(value)
