"""The connections table: one item per Salesforce org or HubSpot portal."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from apibrake.models.connection import Connection, Platform
from apibrake.models.reports import ConnectionFailure, FailureCode
from apibrake.models.validation import describe
from apibrake.store.items import batch_get, from_item, to_item


class ConnectionStore:
    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._dynamodb = dynamodb
        self._table = table_name

    def load(
        self, connection_ids: list[str] | None = None, *, include_disabled: bool = False
    ) -> tuple[list[Connection], list[ConnectionFailure]]:
        """Valid connections, and one failure per item that does not validate."""
        connections: list[Connection] = []
        failures: list[ConnectionFailure] = []
        wanted = set(connection_ids) if connection_ids else None
        for raw in self._raw_items(connection_ids):
            cid = str(raw.get("connection_id", "(missing connection_id)"))
            if wanted is not None and cid not in wanted:
                continue
            try:
                connection = Connection.model_validate(raw)
            except ValidationError as exc:
                field, message = describe(exc)
                failures.append(
                    ConnectionFailure(
                        connection_id=cid, code=FailureCode.INVALID, field=field, error=message
                    )
                )
                continue
            if connection.enabled or include_disabled:
                connections.append(connection)
        if wanted is not None:
            found = {c.connection_id for c in connections} | {f.connection_id for f in failures}
            failures += [
                ConnectionFailure(
                    connection_id=cid,
                    code=FailureCode.NOT_FOUND,
                    field="connection_id",
                    error="no such connection",
                )
                for cid in sorted(wanted - found)
            ]
        return connections, failures

    def enabled_ids(self, platform: Platform | None = None) -> set[str]:
        """The ids of every item not switched off (`enabled` absent counts as on), valid or
        not, of one platform if given: the fleet planner reads only these attributes."""
        paginator = self._dynamodb.get_paginator("scan")
        pages = paginator.paginate(
            TableName=self._table,
            ProjectionExpression="connection_id, enabled, #platform",
            ExpressionAttributeNames={"#platform": "platform"},
        )
        return {
            str(raw["connection_id"])
            for page in pages
            for raw in map(from_item, page["Items"])
            if "connection_id" in raw
            and raw.get("enabled", True) is not False
            and (platform is None or raw.get("platform") == platform.value)
        }

    def get(self, connection_id: str) -> Connection | None:
        connections, failures = self.load([connection_id], include_disabled=True)
        if failures:
            failure = failures[0]
            if failure.code is FailureCode.NOT_FOUND:
                return None
            raise ValueError(f"connection {connection_id}: {failure.field}: {failure.error}")
        return connections[0]

    def put(self, connection: Connection) -> None:
        self._dynamodb.put_item(
            TableName=self._table, Item=to_item(connection.model_dump(mode="json"))
        )

    def delete(self, connection_id: str) -> None:
        self._dynamodb.delete_item(
            TableName=self._table, Key={"connection_id": {"S": connection_id}}
        )

    def _raw_items(self, connection_ids: list[str] | None) -> list[dict[str, Any]]:
        if connection_ids:
            keys = [{"connection_id": {"S": cid}} for cid in dict.fromkeys(connection_ids)]
            return [from_item(item) for item in batch_get(self._dynamodb, self._table, keys)]
        paginator = self._dynamodb.get_paginator("scan")
        return [
            from_item(item)
            for page in paginator.paginate(TableName=self._table)
            for item in page["Items"]
        ]
