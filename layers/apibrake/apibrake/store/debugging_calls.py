"""The break-glass channel's budget: the DebuggingHeader calls apibrake spent per connection
in the last 24 hours, one state-table item per call (`debugging#<connection_id>`).

Salesforce allows an org 1,000 such calls in 24 hours, for everyone (IDEs, CI, other
integrations): apibrake keeps to its own share (`DEBUGGING_CALLS_PER_DAY`) and counts only
its own. A call is counted before it is sent, so a crash never spends uncounted ones.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from apibrake.store import table_keys
from apibrake.store.items import to_item

# apibrake's share of the org's 1,000 a day: a brake spends one per 40 jobs and switches
# and one per 40 freezes (and one more to settle a lost answer), so this covers many
# incidents and leaves the rest to people.
DEBUGGING_CALLS_PER_DAY = 100
WINDOW = timedelta(hours=24)
_KEEP = WINDOW + timedelta(hours=1)


class DebuggingCalls:
    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._dynamodb = dynamodb
        self._table = table_name

    def spent(self, connection_id: str, *, now: datetime) -> int:
        """Calls counted in the 24 hours up to `now`."""
        paginator = self._dynamodb.get_paginator("query")
        pages = paginator.paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND sk >= :since",
            ExpressionAttributeValues={
                ":pk": {"S": table_keys.debugging_pk(connection_id)},
                ":since": {"S": _iso(now - WINDOW)},
            },
            Select="COUNT",
            ConsistentRead=True,
        )
        return sum(int(page["Count"]) for page in pages)

    def take(self, connection_id: str, *, now: datetime, incident_id: str, budget: int) -> bool:
        """Counts one call if the budget allows it; False when it is spent."""
        if self.spent(connection_id, now=now) >= budget:
            return False
        item = {
            "pk": table_keys.debugging_pk(connection_id),
            "sk": f"{_iso(now)}#{uuid.uuid4().hex[:8]}",
            "incident_id": incident_id,
            "expires_at": int((now + _KEEP).timestamp()),
        }
        self._dynamodb.put_item(TableName=self._table, Item=to_item(item))
        return True


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()
