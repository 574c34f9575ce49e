"""Remembered attribution data in the state table: collected daily summaries and refusals.

Item keys (store/table_keys.py): attribution#<connection_id> with daily#<day> (a day's
ApiTotalUsage summary), unavailable#<source> (a source the org refused) and missed#<day> (a
day whose daily file was not published yet when collected: looked for again until it may
no longer come), each with a TTL.

DynamoDB deletes expired items lazily, so reads also skip items past `expires_at`.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from apibrake.attribution.summary import DailySummary
from apibrake.models.attribution import AttributionSource
from apibrake.store import table_keys
from apibrake.store.items import from_item, to_item

DEFAULT_SUMMARY_TTL = timedelta(days=30)
DEFAULT_REFUSAL_TTL = timedelta(days=7)


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


class AttributionStore:
    def __init__(
        self,
        dynamodb: Any,
        table_name: str,
        *,
        summary_ttl: timedelta = DEFAULT_SUMMARY_TTL,
        refusal_ttl: timedelta = DEFAULT_REFUSAL_TTL,
    ) -> None:
        self._dynamodb = dynamodb
        self._table = table_name
        self.summary_ttl = summary_ttl
        self.refusal_ttl = refusal_ttl

    # daily summaries ----------------------------------------------------------------------

    def put_daily_summary(self, summary: DailySummary) -> None:
        item = {
            "pk": table_keys.attribution_pk(summary.connection_id),
            "sk": table_keys.daily_sk(summary.day),
            "summary": summary.model_dump_json(),
            "expires_at": _epoch(summary.collected_at + self.summary_ttl),
        }
        self._dynamodb.put_item(TableName=self._table, Item=to_item(item))

    def has_daily_summary(self, connection_id: str, day: date, *, now: datetime) -> bool:
        return any(s.day == day for s in self.daily_summaries(connection_id, since=day, now=now))

    def daily_summaries(
        self, connection_id: str, *, since: date, now: datetime
    ) -> list[DailySummary]:
        """Summaries of days from `since` on, newest first."""
        answer = self._dynamodb.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND sk >= :since",
            ExpressionAttributeValues={
                ":pk": {"S": table_keys.attribution_pk(connection_id)},
                ":since": {"S": table_keys.daily_sk(since)},
            },
            ScanIndexForward=False,
        )
        summaries = []
        for item in answer["Items"]:
            raw = from_item(item)
            daily = str(raw["sk"]).startswith(table_keys.DAILY_PREFIX)
            if not daily or raw["expires_at"] <= _epoch(now):
                continue
            summaries.append(DailySummary.model_validate(json.loads(raw["summary"])))
        return summaries

    # days whose daily file was late -------------------------------------------------------

    def remember_missed_day(self, connection_id: str, day: date, *, until: datetime) -> None:
        item = {
            "pk": table_keys.attribution_pk(connection_id),
            "sk": table_keys.missed_sk(day),
            "expires_at": _epoch(until),
        }
        self._dynamodb.put_item(TableName=self._table, Item=to_item(item))

    def missed_days(self, connection_id: str, *, now: datetime) -> list[date]:
        """Days whose file was not there yet, still worth looking for."""
        answer = self._dynamodb.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={
                ":pk": {"S": table_keys.attribution_pk(connection_id)},
                ":prefix": {"S": table_keys.MISSED_PREFIX},
            },
        )
        items = [from_item(item) for item in answer["Items"]]
        return [
            table_keys.missed_day_of(str(raw["sk"]))
            for raw in items
            if raw["expires_at"] > _epoch(now)
        ]

    # remembered refusals ------------------------------------------------------------------

    def remember_unavailable(
        self, connection_id: str, source: AttributionSource, reason: str, *, now: datetime
    ) -> None:
        item = {
            "pk": table_keys.attribution_pk(connection_id),
            "sk": table_keys.unavailable_sk(source.name),
            "reason": reason[:500],
            "found_at": now.astimezone(UTC).isoformat(),
            "expires_at": _epoch(now + self.refusal_ttl),
        }
        self._dynamodb.put_item(TableName=self._table, Item=to_item(item))

    def unavailable(self, connection_id: str, *, now: datetime) -> dict[AttributionSource, str]:
        """Sources found unavailable within the refusal TTL: source -> reason."""
        answer = self._dynamodb.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={
                ":pk": {"S": table_keys.attribution_pk(connection_id)},
                ":prefix": {"S": table_keys.UNAVAILABLE_PREFIX},
            },
        )
        found = {}
        for item in answer["Items"]:
            raw = from_item(item)
            name = table_keys.unavailable_source_of(str(raw["sk"]))
            if raw["expires_at"] > _epoch(now) and name in AttributionSource.__members__:
                found[AttributionSource[name]] = str(raw.get("reason", ""))
        return found
