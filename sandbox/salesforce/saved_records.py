"""The org's business records as SOQL sees who last changed them: what `LastModifiedById`
and `LastModifiedDate` say on Account, Contact, Lead, Opportunity and Case after the org's
automations (and its people) saved them (docs/platform-notes.md S6: an automation's work
shows as its running user's changes, never as API calls).

The change queue feeds the consumers and is drained by them; this history is not. A record
saved twice keeps only its latest date, so an automation rewriting the same records every
hour (a rollup) counts them once: its pool is the most records it saved in any one hour,
and a query sees, newest first, at most that many of its records.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sandbox.salesforce.changes import Change
from sandbox.salesforce.minutes import PerMinute, minute_start

# The objects the HubSpot connector syncs (and Case, which the seed's rollups also touch).
SAVED_OBJECTS = ("Account", "Contact", "Lead", "Opportunity", "Case")
_MINUTES_IN_HOUR = 60


class SavedRecords(PerMinute[Change]):
    def latest(self, sobject: str) -> list[tuple[Change, datetime, int]]:
        """(change, minute, records whose latest save was in that minute), newest first."""
        by_change: dict[Change, list[tuple[int, float]]] = defaultdict(list)
        for minute, changes in self._minutes.items():
            for change, records in changes.items():
                if change.sobject.lower() == sobject.lower():
                    by_change[change].append((minute, records))
        rows: list[tuple[Change, datetime, int]] = []
        for change, minutes in by_change.items():
            pool, seen = _pool(minutes), 0.0
            for minute, records in sorted(minutes, reverse=True):
                # Whole records, rounded on the running total so fractions add up.
                counted = round(min(seen + records, pool)) - round(seen)
                if counted > 0:
                    rows.append((change, minute_start(minute), counted))
                seen += records
                if seen >= pool:
                    break
        return rows


def _pool(minutes: list[tuple[int, float]]) -> float:
    """The most records saved in any clock hour: the records the automation keeps rewriting."""
    hours: dict[int, float] = defaultdict(float)
    for minute, records in minutes:
        hours[minute // _MINUTES_IN_HOUR] += records
    return max(hours.values(), default=0.0)
