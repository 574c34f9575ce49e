"""Junk rows in the connections and allowlist tables: each named, the valid neighbour kept."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from apibrake.models.allowlist import AllowlistEntry
from apibrake.models.connection import Connection
from apibrake.store.items import to_item
from drill.stack import LocalStack
from tests.property.strategies import ON_THE_STACK, names_a_field, near

PERCENTS = st.floats(min_value=-10, max_value=250).map(lambda x: round(x, 3))
CONNECTION_FIELDS = near(
    {
        "platform": st.sampled_from(["salesforce", "hubspot", "Salesforce"]),
        "secret_id": st.text(max_size=20),
        "enabled": st.booleans(),
        "warn_at": st.lists(PERCENTS, max_size=3),
        "brake_at": PERCENTS,
        "auto_brake": st.booleans(),
        "reserve_pct": PERCENTS,
        "release_below": PERCENTS,
        "label": st.text(max_size=20),
    }
)
AUTOMATIONS = st.sampled_from(["flow:", "workflow:", "scheduled_apex:", "trigger:", ""]).flatmap(
    lambda kind: st.text(min_size=1, max_size=20).map(lambda name: kind + name)
) | st.sampled_from(["flow:9Bad", "workflow:abc", "flow:ns__Ok_Flow", "noseparator"])
ENTRY_FIELDS = near(
    {
        "tier": st.integers(min_value=-2, max_value=12),
        "note": st.text(max_size=20),
        "added_by": st.text(max_size=20),
        "allow_managed": st.booleans(),
    }
)
CONNECTION_KNOWN = set(Connection.model_fields) | {"(item)"}
ENTRY_KNOWN = set(AllowlistEntry.model_fields) | {"(item)"}


@ON_THE_STACK
@given(
    junk=st.lists(
        st.tuples(st.sampled_from(["junk-{}", "junk {}!", "j/{}"]), CONNECTION_FIELDS),
        min_size=1,
        max_size=4,
    )
)
def test_junk_connections_are_named_and_the_valid_one_loads(
    stack: LocalStack, junk: list[tuple[str, dict[str, Any]]]
) -> None:
    _empty(stack, "ConnectionsTable")
    stack.add_salesforce("sf-prod")
    items = {pattern.format(n): fields for n, (pattern, fields) in enumerate(junk)}
    for connection_id, fields in items.items():
        stack.put_connection_item({**fields, "connection_id": connection_id})

    connections, failures = stack.connections.load(include_disabled=True)

    loaded = {connection.connection_id for connection in connections}
    failed = {failure.connection_id: failure for failure in failures}
    assert "sf-prod" in loaded
    assert loaded | set(failed) == {"sf-prod", *items}
    assert not loaded & set(failed)
    for connection_id, failure in failed.items():
        assert failure.error
        assert failure.field
        assert names_a_field(failure.field, items[connection_id], CONNECTION_KNOWN), failure


@ON_THE_STACK
@given(junk=st.dictionaries(AUTOMATIONS, ENTRY_FIELDS, min_size=1, max_size=4))
def test_junk_allowlist_entries_are_named_and_the_valid_one_kept(
    stack: LocalStack, junk: dict[str, dict[str, Any]]
) -> None:
    good = "flow:Account_Rollup_Hourly"
    _empty(stack, "AllowlistTable")
    stack.allow("sf-prod", good)
    junk.pop(good, None)
    dynamodb = stack.aws.client("dynamodb")
    table = stack.aws.table_name("AllowlistTable")
    for automation, fields in junk.items():
        item = {**fields, "connection_id": "sf-prod", "automation": automation}
        dynamodb.put_item(TableName=table, Item=to_item(item))

    entries, invalid = stack.allowlist.for_connection("sf-prod")

    kept = {entry.automation for entry in entries}
    named = {entry.automation: entry for entry in invalid}
    assert good in kept
    assert kept | set(named) == {good, *junk}
    assert not kept & set(named)
    for automation, entry in named.items():
        assert entry.error
        assert names_a_field(entry.field, junk[automation], ENTRY_KNOWN), entry


def _empty(stack: LocalStack, table_id: str) -> None:
    """What earlier examples wrote, gone (the fixture is set up once per test)."""
    dynamodb = stack.aws.client("dynamodb")
    name = stack.aws.table_name(table_id)
    keys = [
        part["AttributeName"]
        for part in dynamodb.describe_table(TableName=name)["Table"]["KeySchema"]
    ]
    for item in dynamodb.scan(TableName=name)["Items"]:
        dynamodb.delete_item(TableName=name, Key={key: item[key] for key in keys})
