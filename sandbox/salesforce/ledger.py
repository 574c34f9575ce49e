"""Who made the org's API calls, minute by minute: what Salesforce's ApiTotalUsage event log
records, kept so the sandbox can serve EventLogFile and ApiTotalUsageEventLog answers built
from the calls its API clients really made.

A caller is what a file row names (user, connected app, client name, API family). Only API
clients appear: integrations, apibrake, and HubSpot's connector syncing the records the
org's flows, jobs and triggers changed. No flow or job is ever a caller
(docs/platform-notes.md S6).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sandbox.salesforce.minutes import PerMinute, minute_index


@dataclass(frozen=True)
class Caller:
    user_id: str
    username: str
    client_name: str = ""
    connected_app_id: str = ""
    connected_app_name: str = ""
    api_family: str = "REST"
    api_resource: str = "/v62.0/composite/sobject"
    client_category: str = "EXTERNAL_APPLICATION"
    entity: str = ""
    http_method: str = "POST"


class CallLedger(PerMinute[Caller]):
    def any_calls(self, start: datetime, end: datetime) -> bool:
        return any(self.whole_calls(start, end))

    def whole_calls(self, start: datetime, end: datetime) -> Iterator[tuple[int, Caller, int]]:
        """(minute, caller, calls) over [start, end): fractions carried per caller, so each
        caller's total is the floor of what it spent."""
        carried: dict[Caller, float] = defaultdict(float)
        for minute in range(minute_index(start), minute_index(end)):
            callers = self._minutes.get(minute)
            if not callers:
                continue
            for caller, calls in list(callers.items()):
                total = carried[caller] + calls
                whole = int(total + 1e-9)
                carried[caller] = total - whole
                if whole:
                    yield minute, caller, whole
