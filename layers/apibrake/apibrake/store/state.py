"""The state table: usage readings, alert claims, cadence states, rehearsals and drivers
released unchanged (the incident journal is incident/journal.py, attribution's memory
attribution/memory.py). Every item key's shape: store/table_keys.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from apibrake.models.cadence import CadenceState
from apibrake.models.rehearsal import RehearsalRecord
from apibrake.models.usage import ReadingSource, UsageReading
from apibrake.store import table_keys
from apibrake.store.cadence import CadenceStore
from apibrake.store.debugging_calls import DebuggingCalls
from apibrake.store.entitlements import Entitlements
from apibrake.store.items import batch_write, from_item, is_conditional_failure, to_item

_READING_FIELDS = "used, #limit, taken_at, #source, resets_at, stale"
# A claim whose publish was never confirmed is given up once the invocation that took it
# must be over: the monitor's Lambda timeout (50 s in template.yaml) plus a margin. A later
# tick in the same window then sends the alert a cut-off invocation never sent.
PENDING_CLAIM_GRACE = timedelta(seconds=60)
# How long a driver released unchanged is remembered: a burn it drives again within this
# time is told as "released unchanged, burning again" (issue 25).
RELEASED_UNCHANGED_TTL = timedelta(days=3)


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


class StateStore:
    def __init__(self, dynamodb: Any, table_name: str, *, reading_ttl: timedelta) -> None:
        self._dynamodb = dynamodb
        self._table = table_name
        self._reading_ttl = reading_ttl

    def debugging_calls(self) -> DebuggingCalls:
        """The break-glass channel's budget, kept in this table."""
        return DebuggingCalls(self._dynamodb, self._table)

    def entitlements(self) -> Entitlements:
        """The connections' soft-limit readings, kept in this table."""
        return Entitlements(self._dynamodb, self._table)

    # Readings -----------------------------------------------------------------------------

    def put_reading(self, connection_id: str, reading: UsageReading) -> None:
        self._dynamodb.put_item(
            TableName=self._table, Item=self._reading_item(connection_id, reading)
        )

    def put_readings(self, connection_id: str, readings: list[UsageReading]) -> None:
        """Several readings in one request (the monitor's endpoint + header pair)."""
        requests = [
            {"PutRequest": {"Item": self._reading_item(connection_id, reading)}}
            for reading in readings
        ]
        batch_write(self._dynamodb, self._table, requests)

    def _reading_item(self, connection_id: str, reading: UsageReading) -> dict[str, Any]:
        values = reading.model_dump(mode="json")
        values.update(
            pk=table_keys.reading_pk(connection_id),
            sk=table_keys.reading_sk(reading.taken_at, reading.source.value),
            expires_at=_epoch(reading.taken_at + self._reading_ttl),
        )
        return to_item(values)

    def readings_since(self, connection_id: str, since: datetime) -> list[UsageReading]:
        """Readings taken at or after `since`, oldest first."""
        paginator = self._dynamodb.get_paginator("query")
        pages = paginator.paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND sk >= :since",
            ExpressionAttributeValues={
                ":pk": {"S": table_keys.reading_pk(connection_id)},
                ":since": {"S": table_keys.reading_since(since)},
            },
            # Only what a forecast reads: every check asks for an hour of readings, and the
            # bulky per-app breakdown would cost a read unit and a response's bytes each time.
            ProjectionExpression=_READING_FIELDS,
            ExpressionAttributeNames={"#limit": "limit", "#source": "source"},  # reserved words
        )
        readings = []
        for page in pages:
            for item in page["Items"]:
                raw = from_item(item)
                readings.append(
                    UsageReading(
                        used=raw["used"],
                        limit=raw["limit"],
                        taken_at=datetime.fromisoformat(raw["taken_at"]),
                        source=ReadingSource(raw["source"]),
                        resets_at=datetime.fromisoformat(raw["resets_at"])
                        if raw.get("resets_at")
                        else None,
                        stale=raw.get("stale", False),
                    )
                )
        return readings

    def latest_reading(self, connection_id: str, since: datetime) -> UsageReading | None:
        """The newest reading taken at or after `since`, with every field (per-app detail
        and usageByAppType included): one query of one item."""
        answer = self._dynamodb.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND sk >= :since",
            ExpressionAttributeValues={
                ":pk": {"S": table_keys.reading_pk(connection_id)},
                ":since": {"S": table_keys.reading_since(since)},
            },
            ScanIndexForward=False,
            Limit=1,
        )
        if not answer["Items"]:
            return None
        raw = from_item(answer["Items"][0])
        fields = {name: raw[name] for name in UsageReading.model_fields if name in raw}
        return UsageReading.model_validate(fields)

    # Alert claims -------------------------------------------------------------------------

    def claim_alert(
        self, connection_id: str, alert_key: str, *, now: datetime, window_ends: datetime
    ) -> bool:
        """True for exactly one caller per key and window, however many run at once; and
        again once the claim's publish was never confirmed within PENDING_CLAIM_GRACE."""
        item = {
            "pk": table_keys.alert_pk(connection_id),
            "sk": alert_key,
            "claimed_at": now.astimezone(UTC).isoformat(),
            "window_ends": _epoch(window_ends),
            "pending_until": _epoch(now + PENDING_CLAIM_GRACE),
            "expires_at": _epoch(window_ends + timedelta(days=1)),
        }
        try:
            self._dynamodb.put_item(
                TableName=self._table,
                Item=to_item(item),
                ConditionExpression=(
                    "attribute_not_exists(pk) OR window_ends <= :now OR pending_until <= :now"
                ),
                ExpressionAttributeValues={":now": {"N": str(_epoch(now))}},
            )
        except ClientError as exc:
            if is_conditional_failure(exc):
                return False
            raise
        return True

    def confirm_alert_claim(self, connection_id: str, alert_key: str) -> None:
        """The claim's alert went out (or its brake was started): it holds for the window."""
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key={"pk": {"S": table_keys.alert_pk(connection_id)}, "sk": {"S": alert_key}},
                UpdateExpression="REMOVE pending_until",
                ConditionExpression="attribute_exists(pk)",
            )
        except ClientError as exc:
            if not is_conditional_failure(exc):  # released meanwhile: nothing to confirm
                raise

    def confirm_alert_claims(self, connection_id: str, alert_keys: list[str]) -> None:
        """Confirms every claim one alert published, in one transaction: a process dying
        between two separate confirmations would leave a published claim pending, and its
        alert would go out again."""
        if len(alert_keys) <= 1:
            for key in alert_keys:
                self.confirm_alert_claim(connection_id, key)
            return
        updates = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": {"pk": {"S": table_keys.alert_pk(connection_id)}, "sk": {"S": key}},
                    "UpdateExpression": "REMOVE pending_until",
                    "ConditionExpression": "attribute_exists(pk)",
                }
            }
            for key in alert_keys
        ]
        try:
            self._dynamodb.transact_write_items(TransactItems=updates)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            for key in alert_keys:  # one was given back meanwhile: confirm the others
                self.confirm_alert_claim(connection_id, key)

    def release_alert_claim(self, connection_id: str, alert_key: str) -> None:
        """Undo a claim whose alert could not be published, so the next run tries again."""
        self._dynamodb.delete_item(
            TableName=self._table,
            Key={"pk": {"S": table_keys.alert_pk(connection_id)}, "sk": {"S": alert_key}},
        )

    def live_alert_claims(self, connection_id: str, *, now: datetime) -> set[str]:
        """Keys claimed for a window still open at `now`, but those whose publish was never
        confirmed in time. Strongly consistent: a claim given back a moment ago must not
        look live."""
        paginator = self._dynamodb.get_paginator("query")
        pages = paginator.paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            FilterExpression=(
                "window_ends > :now AND (attribute_not_exists(pending_until) "
                "OR pending_until > :now)"
            ),
            ExpressionAttributeValues={
                ":pk": {"S": table_keys.alert_pk(connection_id)},
                ":now": {"N": str(_epoch(now))},
            },
            ProjectionExpression="sk",
            ConsistentRead=True,
        )
        return {item["sk"]["S"] for page in pages for item in page["Items"]}

    def claimed_at(self, connection_id: str, alert_key: str) -> datetime | None:
        """When the claim was taken (the auto-brake's: when the brake started), if held."""
        answer = self._dynamodb.get_item(
            TableName=self._table,
            Key={"pk": {"S": table_keys.alert_pk(connection_id)}, "sk": {"S": alert_key}},
            ProjectionExpression="claimed_at",
            ConsistentRead=True,
        )
        item = answer.get("Item")
        return datetime.fromisoformat(item["claimed_at"]["S"]) if item else None

    def alert_claims(self, connection_id: str) -> list[dict[str, Any]]:
        answer = self._dynamodb.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": table_keys.alert_pk(connection_id)}},
        )
        return [from_item(item) for item in answer["Items"]]

    # Cadence ------------------------------------------------------------------------------

    @property
    def cadence(self) -> CadenceStore:
        """The cadence items and their due index (store/cadence.py)."""
        return CadenceStore(self._dynamodb, self._table)

    def cadence_states(self) -> dict[str, CadenceState]:
        """Every connection's cadence state: one query per cadence shard."""
        return self.cadence.states()

    def put_cadence_states(self, states: list[CadenceState], *, now: datetime) -> None:
        """The states of one tick's checks, in batches of 25."""
        self.cadence.put(states, now=now)

    # Rehearsals ---------------------------------------------------------------------------

    def put_rehearsal(self, record: RehearsalRecord) -> None:
        """Replaces the connection's last rehearsal of the record's kind (kept until the
        next one: it is what `connections test` shows)."""
        values = record.model_dump(mode="json")
        values.update(pk=table_keys.rehearsal_pk(record.connection_id), sk=record.kind.value)
        self._dynamodb.put_item(TableName=self._table, Item=to_item(values))

    def rehearsals(self, connection_id: str) -> list[RehearsalRecord]:
        """The connection's last rehearsal of each kind, in kind order."""
        answer = self._dynamodb.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": table_keys.rehearsal_pk(connection_id)}},
            ConsistentRead=True,
        )
        fields = RehearsalRecord.model_fields
        return [
            RehearsalRecord.model_validate(
                {k: v for k, v in from_item(item).items() if k in fields}
            )
            for item in answer["Items"]
        ]

    # Drivers released unchanged --------------------------------------------------------------

    def put_released_unchanged(
        self, connection_id: str, automations: list[str], *, incident_id: str, now: datetime
    ) -> None:
        """Remembers drivers of a burn a person released without reworking them, for
        RELEASED_UNCHANGED_TTL (a later release of the same one replaces its item)."""
        requests = [
            {
                "PutRequest": {
                    "Item": to_item(
                        {
                            "pk": table_keys.released_pk(connection_id),
                            "sk": automation,
                            "released_at": _iso(now),
                            "incident_id": incident_id,
                            "expires_at": _epoch(now + RELEASED_UNCHANGED_TTL),
                        }
                    )
                }
            }
            for automation in automations
        ]
        batch_write(self._dynamodb, self._table, requests)

    def released_unchanged(self, connection_id: str, *, now: datetime) -> dict[str, datetime]:
        """Allowlist key -> when it was released unchanged, within RELEASED_UNCHANGED_TTL
        (DynamoDB deletes expired items lazily: they are skipped here)."""
        answer = self._dynamodb.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": table_keys.released_pk(connection_id)}},
        )
        found = {}
        for item in answer["Items"]:
            raw = from_item(item)
            released_at = _time(raw.get("released_at"))
            if released_at is not None and raw.get("expires_at", 0) > _epoch(now):
                found[str(raw["sk"])] = released_at
        return found


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
