"""The incident journal: what the brake changed, written before each change, on the state table.

Item keys (`store/table_keys.py`, with every other key of the table):
- incident#<incident_id> / meta                the incident header (IncidentMeta)
- incident#<incident_id> / row#<kind>:<name>   one JournalRow per automation
- open#<connection_id>   / incident            the connection's open incident (one at most)
- generation             / closed              how many incidents have closed, deployment-wide,
                                               and the last one

The generation is the brake's idempotency scope (`incident/keys.py`): every close bumps
it in the same transaction, so a brake after a release never meets the report of the
brake before it, while duplicates of one trigger (read before any close) share a key.
It counts closes of every connection because one brake also opens incidents on the
connections it drives, and "brake everything" spans them all.

A row is written with its prior state (`brake: pending`) before the platform call and
updated with the outcome after it, so a crash leaves a journal that a re-invocation
resumes from and that release restores from.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from apibrake.incident.records import IncidentMeta, JournalRow, utcnow
from apibrake.store import table_keys
from apibrake.store.items import (
    batch_get,
    batch_write,
    from_item,
    is_conditional_failure,
    to_item,
)

_GENERATION_KEY = {"pk": {"S": table_keys.GENERATION_PK}, "sk": {"S": table_keys.GENERATION_SK}}
_ID_ATTEMPTS = 5  # an id already used by a closed incident (same second) gets a suffix


def _incident_pk(incident_id: str) -> dict[str, str]:
    return {"S": table_keys.incident_pk(incident_id)}


class JournalStore:
    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._dynamodb = dynamodb
        self._table = table_name

    # Incidents ----------------------------------------------------------------------------

    def open_incident(self, meta: IncidentMeta, _attempt: int = 1) -> tuple[IncidentMeta, bool]:
        """Opens `meta`, or returns the connection's already open incident (created=False).
        A closed incident's id is never reused: its journal would pass for this one's."""
        open_item = {
            "pk": table_keys.open_pk(meta.connection_id),
            "sk": table_keys.OPEN_SK,
            "incident_id": meta.incident_id,
            "opened_at": meta.opened_at.astimezone(UTC).isoformat(),
        }
        try:
            self._dynamodb.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": to_item(open_item),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": self._meta_item(meta),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                ]
            )
        except ClientError as exc:
            if not is_conditional_failure(exc) or _attempt >= _ID_ATTEMPTS:
                raise
            existing_id = self.open_incident_id(meta.connection_id)
            existing = self.meta(existing_id) if existing_id else None
            if existing is not None:
                return existing, False
            if self.meta(meta.incident_id) is not None:  # the id of a closed incident
                base = meta.incident_id if _attempt == 1 else meta.incident_id.rsplit("-", 1)[0]
                meta = meta.model_copy(update={"incident_id": f"{base}-{_attempt + 1}"})
            return self.open_incident(meta, _attempt + 1)  # or closed in between: once more
        return meta, True

    def record_shadow(self, meta: IncidentMeta, rows: list[JournalRow]) -> IncidentMeta:
        """Journals a shadow incident: its header and its planned rows, with no open marker
        (release and the next real brake never see it) and no generation bump (it closes
        nothing). An id already taken (same second) gets a suffix, as open_incident's."""
        for attempt in range(1, _ID_ATTEMPTS + 1):
            try:
                self._dynamodb.put_item(
                    TableName=self._table,
                    Item=self._meta_item(meta),
                    ConditionExpression="attribute_not_exists(pk)",
                )
            except ClientError as exc:
                if not is_conditional_failure(exc) or attempt >= _ID_ATTEMPTS:
                    raise
                base = meta.incident_id if attempt == 1 else meta.incident_id.rsplit("-", 1)[0]
                meta = meta.model_copy(update={"incident_id": f"{base}-{attempt + 1}"})
                continue
            break
        self.put_rows(meta.incident_id, rows)
        return meta

    def open_incident_id(self, connection_id: str) -> str | None:
        answer = self._dynamodb.get_item(
            TableName=self._table,
            Key={"pk": {"S": table_keys.open_pk(connection_id)}, "sk": {"S": table_keys.OPEN_SK}},
            ConsistentRead=True,
        )
        item = answer.get("Item")
        return str(from_item(item)["incident_id"]) if item else None

    def open_incident_ids(self, connection_ids: list[str]) -> dict[str, str]:
        """connection_id -> open incident id, for the connections that have one."""
        found: dict[str, str] = {}
        keys = [
            {"pk": {"S": table_keys.open_pk(cid)}, "sk": {"S": table_keys.OPEN_SK}}
            for cid in connection_ids
        ]
        for item in batch_get(self._dynamodb, self._table, keys, consistent=True):
            values = from_item(item)
            found[table_keys.connection_of_open(str(values["pk"]))] = str(values["incident_id"])
        return found

    def incidents(self) -> list[IncidentMeta]:
        """Every incident header, newest first (a scan: for the CLI's history, not the
        functions, which always know the incident or connection they work on)."""
        paginator = self._dynamodb.get_paginator("scan")
        metas = [
            IncidentMeta.model_validate(from_item(item))
            for page in paginator.paginate(
                TableName=self._table,
                FilterExpression="begins_with(pk, :incident) AND sk = :meta",
                ExpressionAttributeValues={
                    ":incident": {"S": table_keys.INCIDENT_PREFIX},
                    ":meta": {"S": table_keys.META_SK},
                },
            )
            for item in page["Items"]
        ]
        return sorted(metas, key=lambda meta: meta.opened_at, reverse=True)

    def meta(self, incident_id: str) -> IncidentMeta | None:
        answer = self._dynamodb.get_item(
            TableName=self._table,
            Key={"pk": _incident_pk(incident_id), "sk": {"S": table_keys.META_SK}},
            ConsistentRead=True,
        )
        item = answer.get("Item")
        return IncidentMeta.model_validate(from_item(item)) if item else None

    def lease_until(self, incident_id: str) -> datetime | None:
        """When the lease an invocation holds on the incident runs out (None: not held)."""
        answer = self._dynamodb.get_item(
            TableName=self._table,
            Key={"pk": _incident_pk(incident_id), "sk": {"S": table_keys.META_SK}},
            ConsistentRead=True,
            ProjectionExpression="lease_until",
        )
        until = from_item(answer.get("Item") or {}).get("lease_until")
        return datetime.fromtimestamp(int(until), tz=UTC) if until is not None else None

    def save_meta(self, meta: IncidentMeta) -> None:
        """Updates the header's fields, leaving a lease held on it in place. A field set
        back to None is removed (an item leaves None out), not left at its old value: a
        rehearsal's `only` a real brake cleared must not linger."""
        values = {k: v for k, v in self._meta_item(meta).items() if k not in ("pk", "sk")}
        cleared = [k for k, v in meta.model_dump().items() if v is None and k not in values]
        names = {f"#f{i}": name for i, name in enumerate(values)}
        removed = {f"#r{i}": name for i, name in enumerate(cleared)}
        update = "SET " + ", ".join(f"{n} = :v{n[2:]}" for n in names)
        if removed:
            update += " REMOVE " + ", ".join(removed)
        self._dynamodb.update_item(
            TableName=self._table,
            Key={"pk": _incident_pk(meta.incident_id), "sk": {"S": table_keys.META_SK}},
            UpdateExpression=update,
            ExpressionAttributeNames={**names, **removed},
            ExpressionAttributeValues={f":v{i}": value for i, value in enumerate(values.values())},
        )

    def generation(self) -> str:
        """The count of incidents closed so far (one consistent read): the brake's
        idempotency scope, see the module docstring."""
        answer = self._dynamodb.get_item(
            TableName=self._table, Key=_GENERATION_KEY, ConsistentRead=True
        )
        item = answer.get("Item")
        return str(from_item(item)["closes"]) if item else "0"

    def close(self, meta: IncidentMeta, *, now: datetime) -> IncidentMeta:
        """Marks the incident closed, frees the connection for the next one and bumps the
        generation."""
        closed = meta.model_copy(update={"status": "closed", "closed_at": now})
        self._dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": self._table, "Item": self._meta_item(closed)}},
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": {
                            "pk": {"S": table_keys.open_pk(meta.connection_id)},
                            "sk": {"S": table_keys.OPEN_SK},
                        },
                        "ConditionExpression": "incident_id = :iid",
                        "ExpressionAttributeValues": {":iid": {"S": meta.incident_id}},
                    }
                },
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": _GENERATION_KEY,
                        "UpdateExpression": "ADD closes :one SET last_incident_id = :iid",
                        "ExpressionAttributeValues": {
                            ":one": {"N": "1"},
                            ":iid": {"S": meta.incident_id},
                        },
                    }
                },
            ]
        )
        return closed

    # Leases: one invocation works on an incident at a time ---------------------------------

    def acquire_lease(
        self, incident_id: str, owner: str, *, now: datetime, until: datetime
    ) -> bool:
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key={"pk": _incident_pk(incident_id), "sk": {"S": table_keys.META_SK}},
                UpdateExpression="SET lease_owner = :owner, lease_until = :until",
                ConditionExpression=(
                    "attribute_exists(pk) AND (attribute_not_exists(lease_until) "
                    "OR lease_until < :now OR lease_owner = :owner)"
                ),
                ExpressionAttributeValues={
                    ":owner": {"S": owner},
                    ":until": {"N": str(int(until.timestamp()))},
                    ":now": {"N": str(int(now.timestamp()))},
                },
            )
        except ClientError as exc:
            if is_conditional_failure(exc):
                return False
            raise
        return True

    def release_lease(self, incident_id: str, owner: str) -> None:
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key={"pk": _incident_pk(incident_id), "sk": {"S": table_keys.META_SK}},
                UpdateExpression="REMOVE lease_owner, lease_until",
                ConditionExpression="lease_owner = :owner",
                ExpressionAttributeValues={":owner": {"S": owner}},
            )
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise

    # Rows ---------------------------------------------------------------------------------

    def put_rows(self, incident_id: str, rows: list[JournalRow]) -> None:
        now = utcnow().isoformat()
        requests = [{"PutRequest": {"Item": self._row_item(incident_id, row, now)}} for row in rows]
        batch_write(self._dynamodb, self._table, requests)

    def rows(self, incident_id: str) -> list[JournalRow]:
        paginator = self._dynamodb.get_paginator("query")
        pages = paginator.paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :row)",
            ExpressionAttributeValues={
                ":pk": _incident_pk(incident_id),
                ":row": {"S": table_keys.ROW_PREFIX},
            },
            ConsistentRead=True,
        )
        rows = []
        for page in pages:
            for item in page["Items"]:
                values = from_item(item)
                for key in ("pk", "sk", "updated_at"):
                    values.pop(key, None)
                rows.append(JournalRow.model_validate(values))
        return rows

    def _meta_item(self, meta: IncidentMeta) -> dict[str, Any]:
        values = meta.model_dump(mode="json")
        values.update(pk=table_keys.incident_pk(meta.incident_id), sk=table_keys.META_SK)
        return to_item(values)

    def _row_item(self, incident_id: str, row: JournalRow, now: str) -> dict[str, Any]:
        values = row.model_dump(mode="json")
        values.update(
            pk=table_keys.incident_pk(incident_id),
            sk=table_keys.row_sk(row.automation),
            updated_at=now,
        )
        return to_item(values)
