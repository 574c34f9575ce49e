"""The stores against the tables template.yaml declares, on the moto server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from apibrake.models.usage import ReadingSource, UsageReading
from apibrake.store.allowlist import AllowlistStore
from apibrake.store.connections import ConnectionStore
from apibrake.store.state import PENDING_CLAIM_GRACE, StateStore


def _dynamodb() -> Any:
    return boto3.client("dynamodb")


def test_connection_store_reports_bad_items_and_keeps_the_rest(aws: Any) -> None:
    # Given one valid connection, one with a bad field and one disabled
    table = aws.table_names["ConnectionsTable"]
    db = _dynamodb()
    db.put_item(
        TableName=table,
        Item={
            "connection_id": {"S": "sf-prod"},
            "platform": {"S": "salesforce"},
            "secret_id": {"S": "apibrake/sf-prod"},
        },
    )
    db.put_item(
        TableName=table,
        Item={
            "connection_id": {"S": "hs-bad"},
            "platform": {"S": "hubspot"},
            "secret_id": {"S": "apibrake/hs"},
            "brake_at": {"S": "ninety"},
        },
    )
    db.put_item(
        TableName=table,
        Item={
            "connection_id": {"S": "hs-off"},
            "platform": {"S": "hubspot"},
            "secret_id": {"S": "apibrake/hs"},
            "enabled": {"BOOL": False},
        },
    )
    store = ConnectionStore(db, table)

    # When all connections load
    connections, failures = store.load()

    # Then the valid one loads, the bad one names its field, the disabled one is left out
    assert [c.connection_id for c in connections] == ["sf-prod"]
    assert [(f.connection_id, f.field) for f in failures] == [("hs-bad", "brake_at")]
    narrowed, missing = store.load(["sf-prod", "nope"])
    assert [c.connection_id for c in narrowed] == ["sf-prod"]
    assert [(f.connection_id, f.error) for f in missing] == [("nope", "no such connection")]


def test_allowlist_store_reports_bad_rows_per_entry(aws: Any) -> None:
    table = aws.table_names["AllowlistTable"]
    db = _dynamodb()
    for automation in ("flow:Account_Rollup", "trigger:Nope", "workflow:123"):
        db.put_item(
            TableName=table,
            Item={
                "connection_id": {"S": "c1"},
                "automation": {"S": automation},
            },
        )
    entries, invalid = AllowlistStore(db, table).for_connection("c1")
    assert sorted(e.automation for e in entries) == ["flow:Account_Rollup", "workflow:123"]
    assert [(i.automation, i.field) for i in invalid] == [("trigger:Nope", "automation")]


def test_alert_claims_fire_once_per_window_and_again_in_the_next(aws: Any) -> None:
    store = StateStore(_dynamodb(), aws.table_names["StateTable"], reading_ttl=timedelta(hours=48))
    now = datetime(2026, 11, 2, 12, tzinfo=UTC)
    window_end = now + timedelta(hours=6)

    assert store.claim_alert("c1", "warn-70", now=now, window_ends=window_end)
    store.confirm_alert_claim("c1", "warn-70")  # published
    assert not store.claim_alert(
        "c1", "warn-70", now=now + timedelta(hours=1), window_ends=window_end
    )
    assert store.claim_alert("c1", "warn-80", now=now, window_ends=window_end)
    assert store.claim_alert(
        "c1",
        "warn-70",
        now=window_end + timedelta(minutes=1),
        window_ends=window_end + timedelta(days=1),
    )


def test_live_alert_claims_are_those_of_open_windows_not_given_back(aws: Any) -> None:
    store = StateStore(_dynamodb(), aws.table_names["StateTable"], reading_ttl=timedelta(hours=48))
    now = datetime(2026, 11, 2, 12, tzinfo=UTC)
    store.claim_alert("c1", "warn:70", now=now, window_ends=now + timedelta(hours=6))
    store.claim_alert("c1", "warn:80", now=now, window_ends=now + timedelta(hours=6))
    store.claim_alert("c1", "brake:90", now=now, window_ends=now + timedelta(hours=1))
    store.claim_alert("c2", "warn:70", now=now, window_ends=now + timedelta(hours=6))
    store.release_alert_claim("c1", "warn:80")
    for key in ("warn:70", "brake:90"):
        store.confirm_alert_claim("c1", key)

    assert store.live_alert_claims("c1", now=now) == {"warn:70", "brake:90"}
    # A window that has ended frees its key, as claim_alert's condition does.
    later = now + timedelta(hours=1)
    assert store.live_alert_claims("c1", now=later) == {"warn:70"}
    assert store.claim_alert("c1", "brake:90", now=later, window_ends=later + timedelta(hours=1))


def test_a_claim_never_confirmed_is_given_up_after_its_invocation_must_be_over(
    aws: Any,
) -> None:
    # Issue 27: an invocation cut off between an alert's claim and its publish.
    store = StateStore(_dynamodb(), aws.table_names["StateTable"], reading_ttl=timedelta(hours=48))
    now = datetime(2026, 11, 2, 12, tzinfo=UTC)
    ends = now + timedelta(hours=6)
    assert store.claim_alert("c1", "brake:90", now=now, window_ends=ends)
    assert store.claim_alert("c1", "warn:70", now=now, window_ends=ends)
    store.confirm_alert_claim("c1", "warn:70")
    # While the invocation that took it may still run, the pending claim holds ...
    soon = now + PENDING_CLAIM_GRACE - timedelta(seconds=1)
    assert not store.claim_alert("c1", "brake:90", now=soon, window_ends=ends)
    assert store.live_alert_claims("c1", now=soon) == {"brake:90", "warn:70"}
    # ... after, a later tick takes it over and sends the alert; a confirmed one holds.
    after = now + PENDING_CLAIM_GRACE
    assert store.live_alert_claims("c1", now=after) == {"warn:70"}
    assert not store.claim_alert("c1", "warn:70", now=after, window_ends=ends)
    assert store.claim_alert("c1", "brake:90", now=after, window_ends=ends)
    store.confirm_alert_claim("c1", "brake:90")
    later = after + timedelta(hours=1)
    assert not store.claim_alert("c1", "brake:90", now=later, window_ends=ends)
    # Confirming a claim given back meanwhile creates nothing.
    store.release_alert_claim("c1", "warn:70")
    store.confirm_alert_claim("c1", "warn:70")
    assert store.live_alert_claims("c1", now=later) == {"brake:90"}


def test_the_claims_of_one_alert_are_confirmed_together(aws: Any) -> None:
    store = StateStore(_dynamodb(), aws.table_names["StateTable"], reading_ttl=timedelta(hours=48))
    now = datetime(2026, 11, 2, 12, tzinfo=UTC)
    ends = now + timedelta(hours=6)
    for key in ("warn:70", "warn:80", "brake:90"):
        assert store.claim_alert("c1", key, now=now, window_ends=ends)
    store.release_alert_claim("c1", "warn:80")  # given back meanwhile: the others still count
    store.confirm_alert_claims("c1", ["warn:70", "warn:80", "brake:90"])
    after = now + PENDING_CLAIM_GRACE
    assert store.live_alert_claims("c1", now=after) == {"warn:70", "brake:90"}
    assert store.claim_alert("c1", "warn:80", now=after, window_ends=ends)  # not re-created


def test_readings_round_trip_in_time_order(aws: Any) -> None:
    store = StateStore(_dynamodb(), aws.table_names["StateTable"], reading_ttl=timedelta(hours=48))
    start = datetime(2026, 11, 2, 12, tzinfo=UTC)
    for minutes, used in ((10, 1_200), (0, 1_000), (5, 1_100)):
        store.put_reading(
            "c1",
            UsageReading(
                used=used,
                limit=10_000,
                taken_at=start + timedelta(minutes=minutes),
                source=ReadingSource.LIMITS_ENDPOINT,
            ),
        )
    readings = store.readings_since("c1", start + timedelta(minutes=1))
    assert [r.used for r in readings] == [1_100, 1_200]
