"""Records changed inside the org, waiting for the consumers that read them.

In-org automations (flows, Process Builder, triggers, scheduled Apex) spend no API calls:
they change records, and the consumers outside the org spend calls reading those changes
(docs/platform-notes.md S6). This queue is what links them: an
automation adds the records it changed, per minute, object and driver; a consumer takes what
it syncs, oldest first, and whatever it cannot take yet stays for its next cycle (the
backlog behind the tail after a brake).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sandbox.salesforce.minutes import PerMinute, minute_index


@dataclass(frozen=True)
class Driver:
    """What changed the records: an automation (`flow:<DeveloperName>`,
    `scheduled_apex:<job name>`, `trigger:<name>`, `workflow:<HubSpot flow id>`) and the
    user the change was saved as."""

    automation: str
    changed_by: str


@dataclass(frozen=True)
class Change:
    sobject: str
    driver: Driver


class ChangeQueue(PerMinute[Change]):
    def pending(self, up_to: datetime, objects: frozenset[str]) -> float:
        """Records of `objects` changed before `up_to` and not yet taken."""
        last = minute_index(up_to)
        return sum(
            records
            for minute, changes in self._minutes.items()
            if minute < last
            for change, records in changes.items()
            if change.sobject in objects
        )

    def take(
        self, up_to: datetime, objects: frozenset[str], limit: float | None = None
    ) -> dict[Change, float]:
        """Take up to `limit` records of `objects` changed before `up_to`, oldest first."""
        taken: dict[Change, float] = defaultdict(float)
        room = float("inf") if limit is None else limit
        for minute in sorted(m for m in self._minutes if m < minute_index(up_to)):
            changes = self._minutes[minute]
            for change in [c for c in changes if c.sobject in objects]:
                if room <= 0:
                    return dict(taken)
                records = min(changes[change], room)
                taken[change] += records
                room -= records
                changes[change] -= records
                if changes[change] <= 1e-9:
                    del changes[change]
            if not changes:
                del self._minutes[minute]
        return dict(taken)
