"""The `setting` and `user` kinds over the wire: brake then release puts back exactly what
was there, a second brake changes nothing, and a person's edit in between is never
overwritten."""

from __future__ import annotations

from datetime import timedelta

from drill.stack import LocalStack
from sandbox.salesforce.connector import records_costing
from tests.integration.brake_support import api_mutations, rows_by_name, statuses

SWITCH = "Trigger_Switches__c.Disable_Rollups__c"


def _switches(stack: LocalStack, *, org_default: bool | None) -> None:
    sf = stack.sandbox.salesforce
    sf.switches.add_setting(
        "Trigger_Switches__c", {"Disable_Rollups__c": org_default, "Disable_Sync__c": org_default}
    )
    sf.switches.add_trigger(
        "AccountRollupTrigger",
        records_per_hour=records_costing(6_000),
        switch=SWITCH,
        changes_object="Account",
    )


def test_setting_round_trip_with_an_org_default_row(stack: LocalStack) -> None:
    # Given a kill switch whose org default is false and a trigger burning calls
    _switches(stack, org_default=False)
    sf = stack.sandbox.salesforce
    stack.add_salesforce()
    stack.allow("sf-prod", f"setting:{SWITCH}")
    # When the brake runs
    report = stack.brake(connection_id="sf-prod", reason="test")
    # Then the switch is on, journalled with its old value, and the trigger stops burning
    assert statuses(report) == {SWITCH: "braked"}
    assert rows_by_name(report)[SWITCH]["before"]["value"] is False
    assert sf.switches.org_default(SWITCH) is True
    assert sf.switches.org_default("Trigger_Switches__c.Disable_Sync__c") is False
    used, _ = sf.usage()
    stack.sandbox.clock.advance(timedelta(hours=1))
    assert sf.usage()[0] - used < 100  # background only, the trigger is off
    assert report["api_calls"]["sf-prod"] <= 5
    # When it is released
    released = stack.release_incident(report["incident_id"])
    # Then the recorded value is back, with one change each way
    assert statuses(released) == {SWITCH: "released"}
    assert sf.switches.org_default(SWITCH) is False
    kinds = [m.kind for m in api_mutations(stack.sandbox, "salesforce")]
    assert kinds == ["setting_update", "setting_update"]


def test_setting_without_an_org_default_row_comes_back_as_no_row(stack: LocalStack) -> None:
    # Given a kill switch setting with no org-default row at all
    _switches(stack, org_default=None)
    sf = stack.sandbox.salesforce
    stack.add_salesforce()
    stack.allow("sf-prod", f"setting:{SWITCH}")
    # When the brake runs, it creates the org-default row with the switch on
    report = stack.brake(connection_id="sf-prod", reason="test")
    assert statuses(report) == {SWITCH: "braked"}
    assert rows_by_name(report)[SWITCH]["before"]["exists"] is False
    assert sf.switches.org_default(SWITCH) is True
    # When it is released, the row it created is deleted: exactly "no row" again
    released = stack.release_incident(report["incident_id"])
    assert statuses(released) == {SWITCH: "released"}
    assert sf.switches.org_row(sf.switches.setting("Trigger_Switches__c")) is None
    kinds = [m.kind for m in api_mutations(stack.sandbox, "salesforce")]
    assert kinds == ["setting_create", "setting_delete"]


def test_setting_changed_by_hand_is_not_overwritten(stack: LocalStack) -> None:
    # Given a braked kill switch
    _switches(stack, org_default=False)
    sf = stack.sandbox.salesforce
    stack.add_salesforce()
    stack.allow("sf-prod", f"setting:{SWITCH}")
    report = stack.brake(connection_id="sf-prod", reason="test")
    # When an admin switches it off by hand meanwhile, then release runs
    sf.switches.set_by_hand(SWITCH, False)
    stack.sandbox.audit.clear()
    released = stack.release_incident(report["incident_id"])
    # Then release leaves it for a human and changes nothing
    row = rows_by_name(released)[SWITCH]
    assert row["status"] == "needs_human"
    assert "by hand" in (row["error"] or "")
    assert api_mutations(stack.sandbox, "salesforce") == []


def test_setting_brake_value_false_and_second_brake_changes_nothing(stack: LocalStack) -> None:
    # Given an "enable" switch that a brake turns off (brake_value false)
    sf = stack.sandbox.salesforce
    sf.switches.add_setting("Sync_Settings__c", {"Enable_Sync__c": True})
    stack.add_salesforce()
    stack.allow("sf-prod", "setting:Sync_Settings__c.Enable_Sync__c", brake_value=False)
    # When the brake runs twice
    first = stack.brake(connection_id="sf-prod", reason="test")
    second = stack.brake(connection_id="sf-prod", reason="test again")
    # Then the field is false after the first, and the second changes nothing
    assert statuses(first) == {"Sync_Settings__c.Enable_Sync__c": "braked"}
    assert sf.switches.org_default("Sync_Settings__c.Enable_Sync__c") is False
    assert second["incident_id"] == first["incident_id"]
    assert len(api_mutations(stack.sandbox, "salesforce")) == 1
    # And release puts true back
    stack.release_incident(first["incident_id"])
    assert sf.switches.org_default("Sync_Settings__c.Enable_Sync__c") is True


def test_user_freeze_round_trip_stops_the_external_integration(stack: LocalStack) -> None:
    # Given an external ETL burning calls as its own user, allowlisted at tier 2
    sf = stack.sandbox.salesforce
    etl = sf.switches.add_integration_user("etl@acme.com", calls_per_hour=12_000)
    stack.add_salesforce()
    stack.allow("sf-prod", "user:etl@acme.com", tier=2)
    # When a tier-1 brake runs, the user is not touched
    tier1 = stack.brake(connection_id="sf-prod", reason="test")
    assert statuses(tier1) == {}
    assert etl.frozen is False
    stack.release_incident(tier1["incident_id"])
    # When a tier-2 brake runs
    report = stack.brake(connection_id="sf-prod", reason="test", tier=2)
    # Then the user is frozen and its integration stops burning calls
    assert statuses(report) == {"etl@acme.com": "braked"}
    assert etl.frozen is True
    used, _ = sf.usage()
    stack.sandbox.clock.advance(timedelta(hours=1))
    assert sf.usage()[0] - used < 100
    # When it is released, the user is unfrozen and the integration may log in again
    released = stack.release_incident(report["incident_id"])
    assert statuses(released) == {"etl@acme.com": "released"}
    assert etl.frozen is False
    freezes = [m.after for m in api_mutations(stack.sandbox, "salesforce")]
    assert freezes == [{"frozen": True}, {"frozen": False}]


def test_user_frozen_before_the_brake_is_never_unfrozen(stack: LocalStack) -> None:
    # Given a user an admin froze already, allowlisted
    sf = stack.sandbox.salesforce
    user = sf.switches.add_integration_user("old-etl@acme.com", frozen=True)
    stack.add_salesforce()
    stack.allow("sf-prod", "user:old-etl@acme.com", tier=2)
    # When brake and release run
    report = stack.brake(connection_id="sf-prod", reason="test", tier=2)
    stack.release_incident(report["incident_id"])
    # Then it stays frozen and nothing was written
    assert statuses(report) == {"old-etl@acme.com": "already_off"}
    assert user.frozen is True
    assert api_mutations(stack.sandbox, "salesforce") == []


def test_user_refrozen_by_hand_stays_frozen(stack: LocalStack) -> None:
    # Given a user apibrake froze, then an admin unfroze and froze again meanwhile
    sf = stack.sandbox.salesforce
    user = sf.switches.add_integration_user("etl@acme.com", calls_per_hour=1_000)
    stack.add_salesforce()
    stack.allow("sf-prod", "user:etl@acme.com", tier=2)
    report = stack.brake(connection_id="sf-prod", reason="test", tier=2)
    stack.sandbox.clock.advance(timedelta(minutes=5))
    sf.switches.freeze_by_hand("etl@acme.com", False)
    stack.sandbox.clock.advance(timedelta(minutes=5))
    sf.switches.freeze_by_hand("etl@acme.com", True)
    # When release runs
    released = stack.release_incident(report["incident_id"])
    # Then the human's freeze stands
    assert rows_by_name(released)["etl@acme.com"]["status"] == "needs_human"
    assert user.frozen is True


def test_apibrake_never_freezes_its_own_user(stack: LocalStack) -> None:
    # Given the connection's own integration user on the allowlist by mistake
    sf = stack.sandbox.salesforce
    stack.add_salesforce()
    stack.allow("sf-prod", f"user:{sf.settings.username}", tier=2)
    # When the brake runs
    report = stack.brake(connection_id="sf-prod", reason="test", tier=2)
    # Then it is left for a human, not frozen
    row = rows_by_name(report)[sf.settings.username]
    assert row["status"] == "needs_human"
    assert "own integration user" in row["error"]
    assert api_mutations(stack.sandbox, "salesforce") == []


def test_a_protected_consumer_is_never_frozen_whatever_its_entry_names(stack: LocalStack) -> None:
    # Given the HubSpot connector's user protected, and allowlisted anyway (entries stored
    # before it was protected): once by username, once by its User Id
    sf = stack.sandbox.salesforce
    connector = sf.switches.add_integration_user("sync@acme.com", calls_per_hour=2_000)
    stack.add_salesforce(protected_consumers=["sync@acme.com"])
    stack.allow("sf-prod", "user:sync@acme.com", tier=2)
    stack.allow("sf-prod", f"user:{connector.id}", tier=2)
    # When a tier-2 brake runs
    report = stack.brake(connection_id="sf-prod", reason="test", tier=2)
    # Then neither is frozen: the entry by name is refused before any call, the one by Id
    # once the org names the user; each row says why
    rows = rows_by_name(report)
    assert rows["sync@acme.com"]["status"] == "skipped"
    assert "protected_consumers" in rows["sync@acme.com"]["error"]
    assert rows[connector.id]["status"] == "skipped"
    assert "keep it running; stop what feeds it" in rows[connector.id]["error"]
    assert connector.frozen is False
    assert api_mutations(stack.sandbox, "salesforce") == []
