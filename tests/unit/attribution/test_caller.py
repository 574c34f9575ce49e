"""Consumers mapped to allowlist keys: on the allowlist (braked) or not (needs a person)."""

from __future__ import annotations

from apibrake.attribution.caller import CallerKey, allowlist_key, consumer
from apibrake.models.allowlist import AllowlistEntry
from apibrake.models.attribution import ConsumerKind

ENTRIES = [
    AllowlistEntry(connection_id="sf", automation="flow:Account_Rollup_Hourly"),
    AllowlistEntry(connection_id="sf", automation="scheduled_apex:Hourly Territory Recalc"),
]


def test_client_names_map_to_allowlist_keys() -> None:
    assert allowlist_key("account_rollup_hourly", ENTRIES) == "flow:Account_Rollup_Hourly"
    assert allowlist_key("Hourly Territory Recalc", ENTRIES) == (
        "scheduled_apex:Hourly Territory Recalc"
    )
    assert allowlist_key("Nightly ETL", ENTRIES) is None


def test_an_allowlisted_automation_is_named_by_its_key() -> None:
    found = consumer(CallerKey("", "Account_Rollup_Hourly", "autoproc@x"), 600, 1_000, ENTRIES)
    assert found.kind is ConsumerKind.AUTOMATION
    assert found.name == "flow Account_Rollup_Hourly"
    assert (found.automation, found.allowlisted, found.share) == (
        "flow:Account_Rollup_Hourly",
        True,
        0.6,
    )


def test_a_connected_app_needs_a_person() -> None:
    found = consumer(CallerKey("Nightly ETL", "", "etl@x"), 400, 1_000, ENTRIES)
    assert found.kind is ConsumerKind.CONNECTED_APP
    assert found.name == "Nightly ETL (connected app, user etl@x)"
    assert (found.automation, found.allowlisted) == (None, False)
