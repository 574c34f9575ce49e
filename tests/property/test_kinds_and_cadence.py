"""The inputs added with the `setting` and `user` kinds, the adaptive cadence and the daily
collection: allowlist names and options, the connection's cadence and brake-ahead fields,
and the monitor's `scheduled` and `collect` events. Junk is named by its field (the one
that is wrong, not a neighbour) and never stops the valid row beside it."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from apibrake.models.allowlist import AutomationKind
from apibrake.store.items import to_item
from drill.stack import LocalStack
from tests.property.strategies import JSON, ON_THE_STACK, near
from tests.property.test_stored_items import _empty

PLAUSIBLE_NAMES = st.sampled_from(
    [
        "setting:Kill_Switch__c.Disable_Sync__c",
        "setting:ns__Switch__c.ns__Off__c",
        "setting:Kill_Switch__c",
        "setting:Kill_Switch__c.Disable",
        "setting:Switch.Field__c",
        "setting:1Bad__c.Field__c",
        "user:etl@example.com",
        "user:005000000000001",
        "user:005000000000001AAA",
        "user:005short",
        "user:a@b@c",
        "user:name with space@example.com",
        "user:o'brien@example.com",
    ]
)
# Mostly the plausible names (valid or nearly), so options are reached and judged too.
KIND_NAMES = st.one_of(
    PLAUSIBLE_NAMES,
    PLAUSIBLE_NAMES,
    st.sampled_from(["setting:", "user:"]).flatmap(
        lambda kind: st.text(min_size=1, max_size=30).map(lambda name: kind + name)
    ),
)
KIND_OPTIONS = {
    "tier": st.integers(min_value=-1, max_value=11),
    "brake_value": st.booleans() | st.none() | st.sampled_from(["on", "yes", 0]),
    "freeze_at_tier_1": st.booleans() | st.sampled_from(["true", "maybe", 2]),
}
GOOD = ("flow:Account_Rollup_Hourly", "setting:Kill_Switch__c.Off__c", "user:etl@example.com")


@ON_THE_STACK
@given(junk=st.dictionaries(KIND_NAMES, near(KIND_OPTIONS), min_size=1, max_size=4))
def test_setting_and_user_entries_junk_is_named_by_its_field_and_others_kept(
    stack: LocalStack, junk: dict[str, dict[str, Any]]
) -> None:
    _empty(stack, "AllowlistTable")
    stack.allow("sf-prod", GOOD[0])
    stack.allow("sf-prod", GOOD[1], brake_value=False)
    stack.allow("sf-prod", GOOD[2], tier=2)
    for good in GOOD:
        junk.pop(good, None)
    dynamodb = stack.aws.client("dynamodb")
    table = stack.aws.table_name("AllowlistTable")
    for automation, fields in junk.items():
        item = {**fields, "connection_id": "sf-prod", "automation": automation}
        dynamodb.put_item(TableName=table, Item=to_item(item))

    entries, invalid = stack.allowlist.for_connection("sf-prod")

    kept = {entry.automation: entry for entry in entries}
    named = {entry.automation: entry for entry in invalid}
    assert set(GOOD) <= set(kept)
    assert set(kept) | set(named) == {*GOOD, *junk}
    assert not set(kept) & set(named)
    for automation, entry in named.items():
        assert entry.error
        # The field that is wrong: one the row had, its name, or (a user entry's rule) tier
        assert entry.field.split(".")[0] in {*junk[automation], "automation", "tier"}, entry
    for entry in kept.values():
        if entry.kind is AutomationKind.USER:
            assert entry.tier >= 2 or entry.freeze_at_tier_1, entry
        if entry.kind is not AutomationKind.SETTING:
            assert entry.brake_value is None, entry
        else:
            assert entry.freeze_at_tier_1 is False, entry
    assert kept[GOOD[1]].kind_options() == {"brake_value": False}


MINUTES = st.integers(min_value=-2, max_value=1500) | st.sampled_from([1.5, "5", "five", 0])
CADENCE_FIELDS = {
    "check_hot_minutes": MINUTES,
    "check_warm_minutes": MINUTES,
    "check_calm_minutes": MINUTES,
    "brake_ahead": st.booleans() | st.sampled_from(["yes", "nope", 3]),
    "brake_lead_minutes": st.floats(min_value=-5, max_value=90).map(lambda x: round(x, 3))
    | st.sampled_from(["1", "soon"]),
    "auto_brake_tier": st.integers(min_value=-1, max_value=11) | st.sampled_from(["2", 2.5]),
}
CHECKS = {"check_hot_minutes", "check_warm_minutes", "check_calm_minutes"}
# Only the new fields vary: a failure cannot hide behind a missing platform or secret.
CADENCES = st.fixed_dictionaries(
    {"platform": st.just("salesforce"), "secret_id": st.just("apibrake/junk")},
    optional={name: strategy | JSON for name, strategy in CADENCE_FIELDS.items()},
)


@ON_THE_STACK
@given(junk=st.lists(CADENCES, min_size=1, max_size=4))
def test_cadence_and_brake_ahead_junk_is_named_by_its_field_and_others_load(
    stack: LocalStack, junk: list[dict[str, Any]]
) -> None:
    _empty(stack, "ConnectionsTable")
    stack.add_salesforce("sf-prod")
    items = {f"junk-{n}": fields for n, fields in enumerate(junk)}
    for connection_id, fields in items.items():
        stack.put_connection_item({**fields, "connection_id": connection_id})

    connections, failures = stack.connections.load(include_disabled=True)

    loaded = {connection.connection_id: connection for connection in connections}
    failed = {failure.connection_id: failure for failure in failures}
    assert "sf-prod" in loaded
    assert set(loaded) | set(failed) == {"sf-prod", *items}
    assert not set(loaded) & set(failed)
    for connection_id, failure in failed.items():
        assert failure.error
        # Only the new fields were drawn, so the one named is one the item has, or (the
        # cadence's order) a neighbour left at its default, with the one set in the message
        named, drawn = failure.field.split(".")[0], set(items[connection_id]) & set(CADENCE_FIELDS)
        assert named in drawn or (
            named in CHECKS and any(check in failure.error for check in drawn & CHECKS)
        ), failure
    for connection in loaded.values():
        assert 1 <= connection.check_hot_minutes <= connection.check_warm_minutes
        assert connection.check_warm_minutes <= connection.check_calm_minutes <= 24 * 60
        assert 0 <= connection.brake_lead_minutes <= 60
        assert 1 <= connection.auto_brake_tier <= 9


MONITOR_EVENTS = (
    near(
        {
            "scheduled": st.booleans() | st.sampled_from(["yes", "often", 2, None]),
            "collect": st.just("usage_files")
            | st.sampled_from(["Usage_Files", "usage_file", "", None]),
            "connection_ids": st.lists(st.sampled_from(["sf-prod", "missing"]), max_size=2),
        }
    )
    | JSON
)


@ON_THE_STACK
@given(event=MONITOR_EVENTS)
def test_monitor_scheduled_and_collect_junk_is_named_by_its_field(
    stack: LocalStack, event: Any
) -> None:
    if not stack.connections.load()[0]:
        stack.add_salesforce("sf-prod")
        stack.allow("sf-prod", "flow:Account_Rollup_Hourly")

    answer = stack.monitor_app.handle(event, clock=stack.sandbox.clock.now, invoker=stack.invoker)

    assert isinstance(answer, dict)
    if "error" not in answer:
        return
    assert answer["error"] == "invalid_event"
    assert answer["message"]
    if not isinstance(event, dict):
        assert answer["field"] == "(event)"
        return
    field = answer["field"].split(".")[0]
    assert field in {"scheduled", "collect", "connection_ids"} & set(event), (answer, event)
    if field == "collect":
        assert event["collect"] not in ("usage_files", None)
