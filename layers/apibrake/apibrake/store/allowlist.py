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


# The allowlist's DrivesIndex: only entries that drive another connection carry this
# attribute (`drives_marker`), so the sparse index holds just them.
DRIVES_INDEX = "DrivesIndex"
DRIVES_MARKER = "drives"


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

    def driving_any(self, targets: Collection[str]) -> dict[str, list[AllowlistEntry]]:
        """Every connection's valid entries whose `drives` names any of `targets`, by
        connection: one query of the sparse DrivesIndex (only entries that drive another
        connection are in it), however many connections the deployment watches."""
        wanted = set(targets)
        if not wanted:
            return {}
        paginator = self._dynamodb.get_paginator("query")
        pages = paginator.paginate(
            TableName=self._table,
            IndexName=DRIVES_INDEX,
            KeyConditionExpression="drives_marker = :marker",
            ExpressionAttributeValues={":marker": {"S": DRIVES_MARKER}},
        )
        found: dict[str, list[AllowlistEntry]] = {}
        for page in pages:
            for item in page["Items"]:
                raw = from_item(item)
                raw.pop("drives_marker", None)
                try:
                    entry = AllowlistEntry.model_validate(raw)
                except ValidationError:
                    continue  # its own connection's brake reports it
                if wanted & set(entry.drives):
                    found.setdefault(entry.connection_id, []).append(entry)
        return found

    def put(self, entry: AllowlistEntry) -> None:
        values = entry.model_dump(mode="json")
        if entry.drives:
            values["drives_marker"] = DRIVES_MARKER
        self._dynamodb.put_item(TableName=self._table, Item=to_item(values))

    def delete(self, connection_id: str, automation: str) -> None:
        self._dynamodb.delete_item(
            TableName=self._table,
            Key={"connection_id": {"S": connection_id}, "automation": {"S": automation}},
        )
