"""`drives`: an automation of one connection that spends another's calls (a HubSpot
workflow writing to Salesforce) is braked with that connection and released only once
both have recovered."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from apibrake.models.allowlist import AllowlistEntry
from apibrake.store.items import to_item
from drill.stack import LocalStack


def _platform_calls(stack: LocalStack) -> int:
    sandbox = stack.sandbox
    return sandbox.salesforce_server.requests_served + sandbox.hubspot_server.requests_served


def _row(report: dict[str, Any], connection_id: str, name: str) -> dict[str, Any]:
    return next(
        r for r in report["rows"] if r["connection_id"] == connection_id and r["name"] == name
    )


def _linked_setup(stack: LocalStack) -> tuple[str, str]:
    """sf-prod with one flow; hs-portal with a sync workflow that drives sf-prod and a
    workflow that does not."""
    hubspot, salesforce = stack.sandbox.hubspot, stack.sandbox.salesforce
    sync = hubspot.add_workflow(
        "Sync contacts to Salesforce", enrolments_per_hour=100, custom_code_calls=1
    )["id"]
    welcome = hubspot.add_workflow("Welcome series", enrolments_per_hour=10, custom_code_calls=1)[
        "id"
    ]
    salesforce.add_flow("Account_Rollup", versions=2, active_version=2)
    stack.add_salesforce("sf-prod")
    stack.add_hubspot("hs-portal")
    stack.allow("sf-prod", "flow:Account_Rollup")
    stack.allow("hs-portal", f"workflow:{sync}", drives=("sf-prod",))
    stack.allow("hs-portal", f"workflow:{welcome}")
    return sync, welcome


def test_braking_salesforce_also_brakes_the_hubspot_workflow_that_drives_it(
    stack: LocalStack,
) -> None:
    # Given a sync workflow on HubSpot that drives sf-prod, and sf-prod at 92 %
    sync, welcome = _linked_setup(stack)
    hubspot = stack.sandbox.hubspot
    stack.sandbox.salesforce.add_usage(92_000)
    # When sf-prod is braked
    report = stack.brake({"connection_id": "sf-prod", "requested_by": "ops"})
    # Then its own flow and the HubSpot workflow that drives it are braked
    assert _row(report, "sf-prod", "Account_Rollup")["status"] == "braked"
    linked = _row(report, "hs-portal", sync)
    assert (linked["status"], linked["platform"]) == ("braked", "hubspot")
    assert hubspot.workflow(sync)["isEnabled"] is False
    # ...and nothing else of HubSpot's allowlist
    assert all(r["name"] != welcome for r in report["rows"])
    assert hubspot.workflow(welcome)["isEnabled"] is True
    # ...in a linked incident of the HubSpot portal, whose journal records what it drives
    assert report["incident_id"] == report["incidents"]["sf-prod"]
    hs_incident = report["incidents"]["hs-portal"]
    (journal_row,) = stack.journal.rows(hs_incident)
    assert journal_row.drives == ["sf-prod"]
    assert (journal_row.before or {})["isEnabled"] is True
    hs_meta = stack.journal.meta(hs_incident)
    assert hs_meta is not None
    assert "sf-prod" in hs_meta.reason
    assert report["api_calls"]["hs-portal"] >= 1
    # When the brake is triggered again
    calls_before = stack.sandbox.hubspot_server.requests_served
    again = stack.brake({"connection_id": "sf-prod"})
    # Then nothing more is done on HubSpot, and the same incidents are reported
    assert stack.sandbox.hubspot_server.requests_served == calls_before
    assert again["incidents"] == report["incidents"]


def test_release_waits_until_both_connections_have_recovered(stack: LocalStack) -> None:
    # Given HubSpot braked itself first: the sync workflow (drives sf-prod) and another
    sync, welcome = _linked_setup(stack)
    hubspot, salesforce = stack.sandbox.hubspot, stack.sandbox.salesforce
    hubspot.add_usage(240_000)
    braked = stack.brake({"connection_id": "hs-portal"})
    assert {_row(braked, "hs-portal", n)["status"] for n in (sync, welcome)} == {"braked"}
    # When HubSpot's day has reset but Salesforce is still at 80 % (over release_below)
    stack.sandbox.advance(timedelta(days=1))
    salesforce.add_usage(80_000)
    stack.check()
    released = stack.release_recovered()
    # Then only the workflow that drives nothing is back on; the sync says why it waits
    assert _row(released, "hs-portal", welcome)["status"] == "released"
    waiting = _row(released, "hs-portal", sync)
    assert waiting["status"] == "skipped"
    assert "sf-prod" in waiting["error"]
    assert "release_below" in waiting["error"]
    assert hubspot.workflow(sync)["isEnabled"] is False
    assert hubspot.workflow(welcome)["isEnabled"] is True
    # When the scheduled restore runs again before Salesforce recovers
    stack.sandbox.advance(timedelta(minutes=5))
    stack.check()
    calls_before = _platform_calls(stack)
    still = stack.release_recovered()
    # Then it decides from the stored readings: no platform call, the sync stays off
    assert _platform_calls(stack) == calls_before
    assert "sf-prod" in still["errors"][0]["error"]
    assert hubspot.workflow(sync)["isEnabled"] is False
    # When yesterday's Salesforce calls have aged out of the rolling window
    stack.sandbox.advance(timedelta(days=1))
    stack.check()
    done = stack.release_recovered()
    # Then the sync is back exactly as it was, and the incident is closed
    assert _row(done, "hs-portal", sync)["status"] == "released"
    assert hubspot.workflow(sync)["isEnabled"] is True
    assert stack.journal.open_incident_id("hs-portal") is None


def test_salesforce_recovering_first_still_waits_for_hubspots_reset(stack: LocalStack) -> None:
    # Given sf-prod braked (and with it the HubSpot sync workflow that drives it)
    sync, _ = _linked_setup(stack)
    now = stack.sandbox.clock.now()  # 01:00 in New York: HubSpot resets 23 hours later
    stack.sandbox.salesforce.add_usage(92_000, at=now - timedelta(hours=23))
    stack.sandbox.hubspot.add_usage(100_000)
    stack.check()
    report = stack.brake({"connection_id": "sf-prod"})
    hs_incident = report["incidents"]["hs-portal"]
    # When Salesforce's calls have aged out but HubSpot's day has not reset yet
    stack.sandbox.advance(timedelta(hours=2))
    stack.check()
    released = stack.release_incident(hs_incident)
    # Then the workflow still waits for its own connection's reset
    assert stack.sandbox.hubspot.workflow(sync)["isEnabled"] is False
    assert "reset" in released["errors"][0]["error"]


def test_drives_is_validated_per_entry(stack: LocalStack) -> None:
    # Given entries naming their own connection, a malformed id, an unknown id, and none
    hubspot = stack.sandbox.hubspot
    ids = [
        hubspot.add_workflow(f"Workflow {n}", enrolments_per_hour=10, custom_code_calls=1)["id"]
        for n in range(4)
    ]
    own, malformed, unknown, plain = ids
    stack.add_salesforce("sf-prod")
    stack.add_hubspot("hs-portal")
    table = stack.aws.table_name("AllowlistTable")
    for flow_id, drives in ((own, ["hs-portal"]), (malformed, ["sf prod!"])):
        stack.aws.client("dynamodb").put_item(
            TableName=table,
            Item=to_item(
                {
                    "connection_id": "hs-portal",
                    "automation": f"workflow:{flow_id}",
                    "drives": drives,
                }
            ),
        )
    stack.allow("hs-portal", f"workflow:{unknown}", drives=("sf-typo", "sf-prod"))
    stack.allow("hs-portal", f"workflow:{plain}")
    hubspot.add_usage(240_000)
    # When the portal is braked
    report = stack.brake({"connection_id": "hs-portal"})
    rows = {r["name"]: r for r in report["rows"]}
    # Then the invalid entries are reported by field and left alone
    for flow_id in (own, malformed):
        assert rows[f"workflow:{flow_id}"]["status"] == "skipped"
        assert "drives" in rows[f"workflow:{flow_id}"]["error"]
        assert hubspot.workflow(flow_id)["isEnabled"] is True
    # ...the entry naming an unknown connection is braked, the unknown id reported
    assert rows[unknown]["status"] == "braked"
    assert "sf-typo" in rows[unknown]["error"]
    journal = {r.name: r for r in stack.journal.rows(report["incident_id"])}
    assert journal[unknown].drives == ["sf-prod"]  # release waits only for real connections
    # ...and the rest is braked as usual
    assert (rows[plain]["status"], rows[plain]["error"]) == ("braked", None)


@pytest.mark.parametrize("drives", [["hs-portal"], ["sf prod!"], ["x" * 129], "sf-prod"])
def test_allowlist_entry_rejects_bad_drives(drives: object) -> None:
    with pytest.raises(ValidationError, match="drives"):
        AllowlistEntry.model_validate(
            {"connection_id": "hs-portal", "automation": "workflow:1", "drives": drives}
        )


def test_allowlist_entry_drives_round_trips_without_duplicates() -> None:
    entry = AllowlistEntry.model_validate(
        {"connection_id": "hs-portal", "automation": "workflow:1", "drives": ["sf-a", "sf-a"]}
    )
    assert entry.drives == ("sf-a",)
    assert entry.model_dump(mode="json")["drives"] == ["sf-a"]


def test_the_linked_brake_lookup_is_one_index_query_however_many_connections(
    stack: LocalStack,
) -> None:
    # Given the linked setup and twenty more connections with allowlists of their own
    _linked_setup(stack)
    for number in range(20):
        stack.add_hubspot(f"hs-{number:02d}")
        stack.allow(f"hs-{number:02d}", "workflow:1")
    stack.sandbox.salesforce.add_usage(92_000)
    queries: list[dict[str, Any]] = []
    from apibrake.runtime import aws

    dynamodb = aws.aws_client("dynamodb")
    allowlist_table = stack.aws.table_name("AllowlistTable")

    def count(params: dict[str, Any], **_: Any) -> None:
        if params.get("TableName") == allowlist_table:
            queries.append(params)

    dynamodb.meta.events.register("provide-client-params.dynamodb.Query", count)
    try:
        # When sf-prod is braked
        stack.brake({"connection_id": "sf-prod", "dry_run": True, "requested_by": "ops"})
    finally:
        dynamodb.meta.events.unregister("provide-client-params.dynamodb.Query", count)
    # Then the entries driving it were found with one query of the DrivesIndex, none per
    # connection (the braked connection's own allowlist and the linked one's are read too)
    index_queries = [q for q in queries if q.get("IndexName") == "DrivesIndex"]
    assert len(index_queries) == 1
    assert len(queries) - len(index_queries) <= 2
