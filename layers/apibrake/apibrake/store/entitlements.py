"""Each Salesforce connection's last entitlement reading (models/entitlement.py), one item in
the state table (`entitlement#<connection_id>` / `latest`), read once a day by the daily
collection and looked at by the monitor only when a reading reaches 100 %."""

from __future__ import annotations

from typing import Any

from apibrake.models.entitlement import Entitlement
from apibrake.store import table_keys
from apibrake.store.items import from_item, to_item

_SK = "latest"


class Entitlements:
    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._dynamodb = dynamodb
        self._table = table_name

    def put(self, entitlement: Entitlement) -> None:
        values = entitlement.model_dump(mode="json")
        values.update(pk=table_keys.entitlement_pk(entitlement.connection_id), sk=_SK)
        self._dynamodb.put_item(TableName=self._table, Item=to_item(values))

    def get(self, connection_id: str) -> Entitlement | None:
        answer = self._dynamodb.get_item(
            TableName=self._table,
            Key={"pk": {"S": table_keys.entitlement_pk(connection_id)}, "sk": {"S": _SK}},
        )
        item = answer.get("Item")
        if not item:
            return None
        raw = from_item(item)
        return Entitlement.model_validate(
            {k: v for k, v in raw.items() if k in Entitlement.model_fields}
        )
