"""The allowlist table: the automations apibrake may touch, keyed by connection."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from apibrake.models.allowlist import AllowlistEntry
from apibrake.models.validation import describe
from apibrake.store.items import from_item, to_item


@dataclass(frozen=True)
class InvalidEntry:
    """An allowlist row that does not validate: reported, never braked."""

    connection_id: str
    automation: str
    field: str
    error: str


class AllowlistStore:
    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._dynamodb = dynamodb
        self._table = table_name

    def for_connection(self, connection_id: str) -> tuple[list[AllowlistEntry], list[InvalidEntry]]:
        entries: list[AllowlistEntry] = []
        invalid: list[InvalidEntry] = []
        paginator = self._dynamodb.get_paginator("query")
        pages = paginator.paginate(
            TableName=self._table,
            KeyConditionExpression="connection_id = :cid",
            ExpressionAttributeValues={":cid": {"S": connection_id}},
        )
        for page in pages:
            for item in page["Items"]:
                raw = from_item(item)
                try:
                    entries.append(AllowlistEntry.model_validate(raw))
                except ValidationError as exc:
                    field, message = describe(exc)
                    automation = str(raw.get("automation", ""))
                    invalid.append(InvalidEntry(connection_id, automation, field, message))
        return entries, invalid

    def driving(self, connection_id: str, targets: Collection[str]) -> list[AllowlistEntry]:
        """`connection_id`'s valid entries whose `drives` names any of `targets`: one query
        of that connection's items, filtered by DynamoDB (malformed entries are left to the
        connection's own brake to report)."""
        wanted = sorted(targets)
        if not wanted:
            return []
        values: dict[str, Any] = {":cid": {"S": connection_id}}
        values.update({f":t{i}": {"S": target} for i, target in enumerate(wanted)})
        paginator = self._dynamodb.get_paginator("query")
        pages = paginator.paginate(
            TableName=self._table,
            KeyConditionExpression="connection_id = :cid",
            FilterExpression=" OR ".join(f"contains(drives, :t{i})" for i in range(len(wanted))),
            ExpressionAttributeValues=values,
        )
        found: list[AllowlistEntry] = []
        for page in pages:
            for item in page["Items"]:
                try:
                    entry = AllowlistEntry.model_validate(from_item(item))
                except ValidationError:
                    continue
                if any(target in entry.drives for target in wanted):
                    found.append(entry)
        return found

    def put(self, entry: AllowlistEntry) -> None:
        self._dynamodb.put_item(TableName=self._table, Item=to_item(entry.model_dump(mode="json")))

    def delete(self, connection_id: str, automation: str) -> None:
        self._dynamodb.delete_item(
            TableName=self._table,
            Key={"connection_id": {"S": connection_id}, "automation": {"S": automation}},
        )
