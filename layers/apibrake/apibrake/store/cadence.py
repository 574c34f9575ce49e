"""Cadence items of the state table (`cadence#<shard>` / <connection_id>): the due index.

Each item says when the monitor last checked a connection, how hot it was, and when it is
due (`due_at`, epoch seconds). The fleet's planner reads the CADENCE_SHARDS partitions with
a `due_at <= now` filter: small items (~150 bytes, ~10,000 a 1 MB page), so a tick at
10,000 connections costs ~180 read units ($0.10 per 1,000 connections a month). A
secondary index sorted by `due_at` would read less but rewrite its entry on every check (a
key change is two index writes, docs/platform-notes.md W3: ~$5 per 1,000 connections a
month at docs/fleet.md's mix).

A planner leases a due item by a conditional write of `lease_until` (one write unit): of two
overlapping ticks, only one leases a connection. The check that follows replaces the item,
lease and all; a check that did not happen gives the lease back.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from apibrake.models.cadence import CadenceState, Temperature
from apibrake.store import table_keys
from apibrake.store.items import (
    batch_get,
    batch_write,
    from_item,
    is_conditional_failure,
    to_item,
)

# A deleted or disabled connection's cadence state goes with its readings.
CADENCE_TTL = timedelta(days=2)
# Conditional writes in flight while seeding (an upgrade seeds every connection).
SEED_THREADS = 16


@dataclass(frozen=True)
class DueItem:
    """One row of the due index: what the planner needs to order and lease it."""

    connection_id: str
    due_at: int  # epoch seconds: when the cadence wants it checked
    temperature: Temperature
    lease_until: int = 0  # epoch seconds; 0: never leased

    def leased_at(self, now: datetime) -> bool:
        """A live lease: another tick sent it and its check has not ended yet."""
        return self.lease_until > epoch(now)


@dataclass(frozen=True)
class IndexedState:
    """A cadence state with the lease it was read with (the lease token, 0: none)."""

    state: CadenceState
    lease_until: int


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


class CadenceStore:
    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._dynamodb = dynamodb
        self._table = table_name

    # every state (the in-process tick) ------------------------------------------------------

    def states(self) -> dict[str, CadenceState]:
        """Every connection's state: one query per shard (small items, ~10,000 a page)."""
        states = {}
        for pk in table_keys.cadence_pks():
            for raw in self._query_partition(pk):
                states[raw["sk"]] = _state(raw)
        return states

    def states_of(self, connection_ids: list[str]) -> dict[str, IndexedState]:
        """The states of a few connections (a worker's batch), read strongly consistent."""
        keys = [
            {"pk": {"S": table_keys.cadence_pk(cid)}, "sk": {"S": cid}}
            for cid in dict.fromkeys(connection_ids)
        ]
        found = {}
        for item in batch_get(self._dynamodb, self._table, keys, consistent=True):
            raw = from_item(item)
            found[raw["sk"]] = IndexedState(_state(raw), int(raw.get("lease_until", 0)))
        return found

    def connection_ids(self) -> set[str]:
        """Which connections have a cadence item (the planner's sweep compares)."""
        return {
            str(raw["sk"])
            for pk in table_keys.cadence_pks()
            for raw in self._query_partition(pk, projection="sk")
        }

    def put(self, states: list[CadenceState], *, now: datetime) -> None:
        """The states of checks just made, in batches of 25; each replaces its item, so a
        lease on it ends with it."""
        requests = [{"PutRequest": {"Item": _item(state, now)}} for state in states]
        batch_write(self._dynamodb, self._table, requests)

    # the due index (the fleet's planner and worker) ----------------------------------------

    def due(self, now: datetime) -> Iterator[DueItem]:
        """Items due at `now`, leased or not (leasing a leased item fails its condition):
        the shards read side by side, only the attributes the planner needs."""
        with ThreadPoolExecutor(table_keys.CADENCE_SHARDS) as pool:
            for found in pool.map(lambda pk: self._due_in(pk, now), table_keys.cadence_pks()):
                yield from found

    def _due_in(self, pk: str, now: datetime) -> list[DueItem]:
        paginator = self._dynamodb.get_paginator("query")
        pages = paginator.paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            FilterExpression="due_at <= :now",
            ProjectionExpression="sk, due_at, temperature, lease_until",
            ExpressionAttributeValues={":pk": {"S": pk}, ":now": {"N": str(epoch(now))}},
        )
        return [
            DueItem(
                connection_id=str(raw["sk"]),
                due_at=int(raw["due_at"]),
                temperature=Temperature(raw.get("temperature", Temperature.CALM)),
                lease_until=int(raw.get("lease_until", 0)),
            )
            for page in pages
            for raw in map(from_item, page["Items"])
        ]

    def lease(self, item: DueItem, until: datetime, now: datetime) -> int | None:
        """Leases the item until `until` if it is still due and nobody holds a live lease;
        the lease token a check request carries (`until`, epoch seconds), or None."""
        token = epoch(until)
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key=_key(item.connection_id),
                UpdateExpression="SET lease_until = :until",
                ConditionExpression=(
                    "due_at = :due AND (attribute_not_exists(lease_until) OR lease_until <= :now)"
                ),
                ExpressionAttributeValues={
                    ":until": {"N": str(token)},
                    ":due": {"N": str(item.due_at)},
                    ":now": {"N": str(epoch(now))},
                },
            )
        except ClientError as error:
            if is_conditional_failure(error):
                return None
            raise
        return token

    def end_lease(self, connection_id: str, token: int) -> bool:
        """Gives a lease back (the check did not happen): due again at once, unless the item
        changed meanwhile."""
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key=_key(connection_id),
                UpdateExpression="REMOVE lease_until",
                ConditionExpression="lease_until = :token",
                ExpressionAttributeValues={":token": {"N": str(token)}},
            )
        except ClientError as error:
            if is_conditional_failure(error):
                return False
            raise
        return True

    def seed(self, connection_ids: list[str], *, now: datetime) -> list[str]:
        """Never-checked connections join the index, due now, several writes at a time; an
        item written meanwhile by a check stays as it is. The connections added."""

        def seed_one(cid: str) -> bool:
            try:
                self._dynamodb.put_item(
                    TableName=self._table,
                    Item=_item(CadenceState(cid, None, Temperature.CALM, due_at=now), now),
                    ConditionExpression="attribute_not_exists(pk)",
                )
            except ClientError as error:
                if is_conditional_failure(error):
                    return False
                raise
            return True

        with ThreadPoolExecutor(SEED_THREADS) as pool:
            added = list(pool.map(seed_one, connection_ids))
        return [cid for cid, was_added in zip(connection_ids, added, strict=True) if was_added]

    def claim_sweep(self, now: datetime, every: timedelta) -> bool:
        """True for one tick per `every` (a conditional write: of overlapping ticks, one
        sweeps); the first tick of a new stack sweeps at once."""
        try:
            self._dynamodb.put_item(
                TableName=self._table,
                Item=to_item({"pk": table_keys.SWEEP_PK, "sk": "sweep", "swept_at": epoch(now)}),
                ConditionExpression="attribute_not_exists(pk) OR swept_at <= :before",
                ExpressionAttributeValues={":before": {"N": str(epoch(now - every))}},
            )
        except ClientError as error:
            if is_conditional_failure(error):
                return False
            raise
        return True

    def release_sweep(self) -> None:
        """A sweep cut short by the deadline: the next tick claims the sweep again (as
        though the last sweep were long ago; the same write claim_sweep makes)."""
        self._dynamodb.put_item(
            TableName=self._table,
            Item=to_item({"pk": table_keys.SWEEP_PK, "sk": "sweep", "swept_at": 0}),
        )

    def drop(self, connection_ids: list[str]) -> None:
        """Items of connections that are gone or disabled leave the index."""
        requests = [{"DeleteRequest": {"Key": _key(cid)}} for cid in connection_ids]
        batch_write(self._dynamodb, self._table, requests)

    def _query_partition(self, pk: str, projection: str | None = None) -> Iterator[dict[str, Any]]:
        extra = {"ProjectionExpression": projection} if projection else {}
        paginator = self._dynamodb.get_paginator("query")
        pages = paginator.paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": pk}},
            **extra,
        )
        for page in pages:
            for item in page["Items"]:
                yield from_item(item)


def _key(connection_id: str) -> dict[str, Any]:
    return {"pk": {"S": table_keys.cadence_pk(connection_id)}, "sk": {"S": connection_id}}


def _item(state: CadenceState, now: datetime) -> dict[str, Any]:
    due = epoch(state.due_at or state.deferred_until or state.checked_at or now)
    return to_item(
        {
            "pk": table_keys.cadence_pk(state.connection_id),
            "sk": state.connection_id,
            "checked_at": _iso(state.checked_at),
            "temperature": state.temperature.value,
            "deferred_until": _iso(state.deferred_until),
            "due_at": due,
            "expires_at": epoch(now + CADENCE_TTL),
        }
    )


def _state(raw: dict[str, Any]) -> CadenceState:
    due = raw.get("due_at")
    return CadenceState(
        connection_id=raw["sk"],
        checked_at=_time(raw.get("checked_at")),
        temperature=Temperature(raw["temperature"]),
        deferred_until=_time(raw.get("deferred_until")),
        due_at=datetime.fromtimestamp(due, UTC) if due is not None else None,
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
