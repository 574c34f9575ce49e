"""`apibrake rehearse`: the canaries braked and released through the incident functions, over
the wire (local stack + sandbox), and what `connections test` says afterwards."""

from __future__ import annotations

from apibrake_cli.local import local_target
from apibrake_cli.output import Output
from sandbox.scenarios import deploy_canaries
from sandbox.server import Sandbox
from tests.cli.conftest import Run, as_json

CANARIES = {
    "flow:apibrake_Canary",
    "scheduled_apex:apibrake Canary",
    "setting:apibrake_Canary__c.Brake__c",
}


def test_rehearse_brakes_and_releases_only_the_canaries_exactly(
    connected: Run, sandbox: Sandbox
) -> None:
    # Given the canaries deployed, and a real flow allowlisted at tier 1
    deploy_canaries(sandbox)
    connected("allowlist", "add", "sf-local", "flow:Account_Revenue_Rollup")
    job_before = sandbox.salesforce.job("apibrake Canary")
    assert job_before is not None
    # When rehearsed
    result = connected("rehearse", "sf-local", "--json")
    table = connected("rehearse", "sf-local")
    # Then every canary was braked and released exactly, each in an incident of its own
    assert result.exit_code == 0, result.output
    report = as_json(result)
    records = {r["automation"]: r for r in report["rehearsals"]}
    assert set(records) == CANARIES
    assert {(r["braked"], r["released"], r["exact"]) for r in records.values()} == {
        (True, True, True)
    }
    assert all(r["calls"] > 0 for r in records.values())
    assert len({r["incident_id"] for r in records.values()}) == 3
    assert report["not_ready"] == []
    # and the org is as it was: the canaries back, the real flow never touched
    assert sandbox.salesforce.flow("apibrake_Canary").active_version == 1
    job_after = sandbox.salesforce.job("apibrake Canary")
    assert job_after is not None
    assert (job_after.cron_expression, job_after.time_zone, job_after.owner_id) == (
        job_before.cron_expression,
        job_before.time_zone,
        job_before.owner_id,
    )
    assert sandbox.salesforce.flow("Account_Revenue_Rollup").active_version == 3
    assert table.exit_code == 0, table.output
    assert "apibrake_Canary" in table.stdout
    assert "Account_Revenue_Rollup" not in table.stdout


def test_a_real_brake_leaves_the_canaries_alone(connected: Run, sandbox: Sandbox) -> None:
    deploy_canaries(sandbox)
    assert connected("rehearse", "sf-local").exit_code == 0  # the canaries are allowlisted now
    connected("allowlist", "add", "sf-local", "flow:Account_Revenue_Rollup")
    braked = connected("brake", "--connection", "sf-local", "--tier", "9", "--reason", "x", "--yes")
    assert braked.exit_code == 0, braked.output
    assert sandbox.salesforce.flow("Account_Revenue_Rollup").active_version is None
    assert sandbox.salesforce.flow("apibrake_Canary").active_version == 1


def test_missing_canaries_are_named_with_the_deploy_command(
    connected: Run, sandbox: Sandbox
) -> None:
    # Given an org without the canaries
    result = connected("rehearse", "sf-local")
    # Then nothing is braked, each canary is named with what to do, and the exit is not-found
    assert result.exit_code == 3, result.output
    text = " ".join(result.stdout.split())
    assert "flow:apibrake_Canary: not in the org: deploy it" in text
    assert "sf project deploy start --source-dir force-app" in text
    assert "System.schedule('apibrake Canary'" in text
    assert "Nothing rehearsed on sf-local" in text
    assert as_json(connected("incidents", "--json"))["incidents"] == []


def test_a_brake_event_naming_what_is_not_allowlisted_is_refused(
    connected: Run, sandbox: Sandbox
) -> None:
    deploy_canaries(sandbox)
    connected("allowlist", "add", "sf-local", "flow:Account_Revenue_Rollup")
    result = connected("rehearse", "sf-local")  # allowlists the canaries
    assert result.exit_code == 0, result.output
    # When a hand-made event names an allowlisted canary and a flow that is not allowlisted
    with local_target(Output(json_mode=True)) as stack:
        report = stack.invoke(
            "brake",
            {
                "action": "brake",
                "connection_id": "sf-local",
                "only": ["flow:apibrake_Canary", "flow:Lead_Assignment_Process"],
                "reason": "x",
            },
        )
    # Then the whole brake is refused, naming the flow, and nothing is braked
    assert [e["code"] for e in report["errors"]] == ["invalid"]
    assert "flow:Lead_Assignment_Process" in report["errors"][0]["error"]
    assert sandbox.salesforce.flow("apibrake_Canary").active_version == 1
    assert sandbox.salesforce.flow("Lead_Assignment_Process").active_version == 2


def test_the_hubspot_canary_is_created_off_then_rehearsed_and_clears_the_branch_warning(
    connected: Run, sandbox: Sandbox
) -> None:
    # Given a portal that accepts updates of branching workflows, and no canary yet
    before = connected("connections", "test", "hs-local")
    created = connected("rehearse", "hs-local", "--create-canary")
    # Then the canary exists, off, with a list branch, and the rehearsal asks to turn it on
    canaries = [f for f in sandbox.hubspot.workflows() if f["name"] == "apibrake Canary"]
    assert len(canaries) == 1
    canary = canaries[0]
    assert canary["isEnabled"] is False
    assert [a["type"] for a in canary["actions"]] == ["LIST_BRANCH"]
    assert canary["enrollmentCriteria"]["type"] == "MANUAL"
    assert created.exit_code == 3, created.output
    assert "created off: turn it on in HubSpot" in " ".join(created.stdout.split())
    # When a person turns it on, allowlists it beside a real workflow, and rehearses
    sandbox.hubspot.edit_workflow_by_hand(canary["id"], isEnabled=True)
    result = connected("rehearse", "hs-local", "--json")
    assert result.exit_code == 0, result.output
    (record,) = as_json(result)["rehearsals"]
    assert (record["braked"], record["released"], record["exact"]) == (True, True, True)
    assert record["list_branches"] is True
    assert sandbox.hubspot.workflow(canary["id"])["isEnabled"] is True
    assert sandbox.hubspot.workflow("101")["isEnabled"] is True
    # Then connections test shows the rehearsal, and no "brake unconfirmed" warning
    after = connected("connections", "test", "hs-local", "--json")
    checks = {c["check"]: c for c in as_json(after)["checks"]}
    assert after.exit_code == 0, after.output
    assert checks["workflow: rehearsal"]["outcome"] == "ok"
    assert "exact" in checks["workflow: rehearsal"]["detail"]
    assert checks[f"workflow:{canary['id']} brake"]["outcome"] == "ok"
    assert not any("brake unconfirmed" in c["detail"] for c in checks.values())
    assert "brake unconfirmed until rehearsed" in " ".join(before.stdout.split())


def test_connections_test_shows_each_kind_rehearsed(connected: Run, sandbox: Sandbox) -> None:
    deploy_canaries(sandbox)
    assert connected("rehearse", "sf-local").exit_code == 0
    result = connected("connections", "test", "sf-local", "--json")
    checks = {c["check"]: c for c in as_json(result)["checks"]}
    for kind in ("flow", "scheduled_apex", "setting"):
        assert checks[f"{kind}: rehearsal"]["outcome"] == "ok"
        assert checks[f"{kind}: rehearsal"]["detail"].startswith("rehearsed ")


def test_a_release_naming_only_some_rows_leaves_the_others_braked(
    connected: Run, sandbox: Sandbox
) -> None:
    """The race the rehearsal's own check cannot close: a real brake joins the rehearsal's
    incident after the check. The restorer, under the incident's lease, releases only the
    rows the event names (`only`); the others stay braked and the incident open."""
    connected("allowlist", "add", "sf-local", "flow:Account_Revenue_Rollup")
    connected("allowlist", "add", "sf-local", "flow:Lead_Assignment_Process")
    braked = connected("brake", "--connection", "sf-local", "--reason", "x", "--yes", "--json")
    incident_id = as_json(braked)["incidents"]["sf-local"]
    assert sandbox.salesforce.flow("Lead_Assignment_Process").active_version is None
    with local_target(Output(json_mode=True)) as stack:
        report = stack.invoke(
            "restore",
            {
                "action": "release",
                "incident_id": incident_id,
                "force": True,
                "only": ["flow:Account_Revenue_Rollup"],
            },
        )
        meta = stack.journal.meta(incident_id)
    released = {r["name"]: r["status"] for r in report["rows"]}
    assert released["Account_Revenue_Rollup"] == "released"
    assert released["Lead_Assignment_Process"] != "released"
    assert sandbox.salesforce.flow("Account_Revenue_Rollup").active_version == 3
    assert sandbox.salesforce.flow("Lead_Assignment_Process").active_version is None
    assert meta is not None
    assert meta.status == "open"
