"""discover (with --yes and --write) and allowlist import of good and bad files."""

from __future__ import annotations

import json
from pathlib import Path

from apibrake_cli.errors import ExitCode
from sandbox.server import Sandbox
from tests.cli.conftest import Run, as_json


def test_discover_lists_and_marks_allowlisted(connected: Run) -> None:
    connected("allowlist", "add", "sf-local", "flow:Account_Revenue_Rollup", "--tier", "2")
    result = connected("discover", "sf-local", "--yes", "--json")
    assert result.exit_code == 0, result.output
    rows = {row["automation"]: row for row in as_json(result)["automations"]}
    assert rows["flow:Account_Revenue_Rollup"]["active"] == 3
    assert rows["flow:Account_Revenue_Rollup"]["allowlisted"] == 2
    assert rows["flow:Lead_Assignment_Process"]["type"] == "Process Builder"
    job = rows["scheduled_apex:Nightly Opportunity Sync"]
    assert (job["trigger"], job["apex_class"]) == ("0 0 2 * * ?", "OppSyncJob")
    assert job["next_fire_time"]
    assert job["exact_restore"] is True  # owned by the integration user, in its zone
    assert "11 Salesforce API calls, 2 more per custom setting" in result.stderr


def test_discover_lists_kill_switches_and_users_but_never_proposes_them(
    connected: Run, tmp_path: Path
) -> None:
    result = connected("discover", "sf-local", "--yes", "--json", "--write", "starter.json")
    assert result.exit_code == 0, result.output
    rows = {row["automation"]: row for row in as_json(result)["automations"]}
    switch = rows["setting:Trigger_Switches__c.Disable_Rollups__c"]
    assert (switch["type"], switch["active"]) == ("Hierarchy custom setting", False)
    assert "Disable_Sync__c" not in str(rows)  # a list custom setting: no org default
    etl = rows["user:etl@acme.example"]
    assert etl["type"] == "User (freeze)"
    assert etl["active"] == "active"
    # LoginHistory read (LAST_N_DAYS:7 is valid SOQL), not the "not readable" fallback
    assert etl["detail"].startswith("1 API login in 7 days")
    assert etl["detail"].endswith("via Nightly ETL")
    starter = json.loads((tmp_path / "starter.json").read_text())
    written = starter["entries"] + starter["not_proposed"]
    assert written  # the flows and the job, to review
    assert not [e for e in written if e["automation"].startswith(("setting:", "user:"))]


def test_discover_asks_before_spending(connected: Run) -> None:
    result = connected("discover", "hs-local", input="n\n")
    assert result.exit_code == ExitCode.FAILED
    assert "1 HubSpot API call per 100 workflows" in result.stderr


def test_discover_writes_a_starter_file_that_imports(connected: Run, tmp_path: Path) -> None:
    discovered = connected("discover", "hs-local", "--yes", "--write", "starter.csv")
    assert discovered.exit_code == 0, discovered.output
    assert "workflow:101" in discovered.stdout
    imported = connected("allowlist", "import", "starter.csv")
    listed = connected("allowlist", "list", "hs-local", "--json")
    assert imported.exit_code == 0, imported.output
    assert [e["automation"] for e in as_json(listed)["entries"]] == ["workflow:101"]


def test_import_json_array(connected: Run, tmp_path: Path) -> None:
    entries = [
        {"connection_id": "sf-local", "automation": "flow:Account_Revenue_Rollup", "tier": 1},
        {"connection_id": "sf-local", "automation": "scheduled_apex:Nightly Opportunity Sync"},
    ]
    (tmp_path / "allow.json").write_text(json.dumps(entries, indent=2))
    result = connected("allowlist", "import", "allow.json", "--json")
    assert result.exit_code == 0, result.output
    report = as_json(result)
    assert (report["imported"], report["added"], report["bad_rows"]) == (2, 2, [])


def test_bad_csv_reports_lines_and_imports_nothing(connected: Run, tmp_path: Path) -> None:
    (tmp_path / "allow.csv").write_text(
        "connection_id,automation,tier,note\n"
        "sf-local,flow:Account_Revenue_Rollup,1,fine\n"
        "sf-local,flows:Typo,1,unknown kind\n"
        "sf-local,flow:Lead_Assignment_Process,12,tier too high\n"
        "nobody,flow:Other,1,unknown connection\n"
    )
    result = connected("allowlist", "import", "allow.csv", "--json")
    listed = connected("allowlist", "list", "--json")
    assert result.exit_code == ExitCode.BAD_INPUT
    bad = {(row["line"], row["field"]) for row in as_json(result)["bad_rows"]}
    assert bad == {(3, "automation"), (4, "tier"), (5, "connection_id")}
    assert as_json(listed)["entries"] == []


def test_bad_json_says_where(connected: Run, tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text(
        '[\n  {"connection_id": "sf-local",\n  "automation": }\n]'
    )
    broken = connected("allowlist", "import", "broken.json")
    (tmp_path / "wrong.json").write_text(
        '[\n  {"connection_id": "sf-local", "automation": "flow:A"},\n'
        '  {"connection_id": "sf-local", "automation": "workflow:abc"}\n]'
    )
    wrong = connected("allowlist", "import", "wrong.json")
    assert broken.exit_code == ExitCode.BAD_INPUT
    assert "line 3" in broken.stderr
    assert wrong.exit_code == ExitCode.BAD_INPUT
    assert "3" in wrong.stdout
    assert "HubSpot flow id" in wrong.stdout
    assert "nothing imported" in wrong.stderr


def test_allowlist_add_validates_the_name(connected: Run) -> None:
    result = connected("allowlist", "add", "hs-local", "workflow:not-a-number")
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "automation" in result.stderr


def test_allowlisting_a_job_that_would_not_come_back_exactly_warns(
    connected: Run, sandbox: Sandbox
) -> None:
    sandbox.salesforce.add_scheduled_job(
        "Paris Export", apex_class="ExportJob", time_zone="Europe/Paris", owner_id="005PARIS00001"
    )
    added = connected("allowlist", "add", "sf-local", "scheduled_apex:Paris Export", "--json")
    assert added.exit_code == 0, added.output
    (warning,) = as_json(added)["warnings"]
    assert "owner" in warning
    assert "--allow-inexact-restore" in warning
    tested = connected("connections", "test", "sf-local", "--json")
    checks = {c["check"]: c for c in as_json(tested)["checks"]}
    assert checks["scheduled_apex:Paris Export exact restore"]["outcome"] == "warning"
    allowed = connected(
        "allowlist", "add", "sf-local", "scheduled_apex:Paris Export", "--allow-inexact-restore"
    )
    assert "Warning" not in allowed.stdout


def test_discover_finds_the_hubspot_connector_user_and_offers_to_protect_it(
    connected: Run, sandbox: Sandbox
) -> None:
    # Given the HubSpot connector logging in as its own integration user
    sandbox.salesforce.switches.add_integration_user(
        "hubspot@acme.example", name="HubSpot Integration", calls_per_hour=600
    )
    # When discover runs, it names that user and the line that protects it
    found = connected("discover", "sf-local", "--yes")
    assert found.exit_code == 0, found.output
    said = " ".join(found.stdout.split())
    assert "HubSpot connector's integration user hubspot@acme.example is not in" in said
    assert "apibrake connections protect sf-local hubspot@acme.example --local" in said
    # When that line is run, discover says it is protected, and the JSON lists it
    assert connected("connections", "protect", "sf-local", "hubspot@acme.example").exit_code == 0
    again = connected("discover", "sf-local", "--yes", "--json")
    # (the sandbox org's own connector user may be found too, once it has synced)
    assert "hubspot@acme.example" in as_json(again)["connector_users"]
    assert as_json(again)["protected_consumers"] == ["hubspot@acme.example"]
    table = " ".join(connected("discover", "sf-local", "--yes").stdout.split())
    assert "hubspot@acme.example: protected (the HubSpot sync itself" in table


def test_discover_flags_a_branching_workflow_brake_unconfirmed(
    connected: Run, sandbox: Sandbox
) -> None:
    branch = {"type": "LIST_BRANCH", "actionId": "3", "listBranches": []}
    flow_id = sandbox.hubspot.add_workflow("Routed nurture", actions=[branch])["id"]

    result = connected("discover", "hs-local", "--yes", "--json")

    assert result.exit_code == 0, result.output
    rows = {row["automation"]: row for row in as_json(result)["automations"]}
    assert "brake unconfirmed" in rows[f"workflow:{flow_id}"]["detail"]
    assert "brake unconfirmed" not in rows["workflow:101"]["detail"]


def test_import_speaks_plainly_and_counts_in_the_right_number(
    connected: Run, tmp_path: Path
) -> None:
    (tmp_path / "bad.csv").write_text(
        "connection_id,automation,tier\nsf-local,flwo:Typo,1\nsf-local,flow:Fine,x\n"
    )
    (tmp_path / "one.csv").write_text(
        "connection_id,automation\nsf-local,flow:Account_Revenue_Rollup\n"
    )
    (tmp_path / "typo.csv").write_text("connection_id,automation\nsf-local,flwo:Typo\n")

    bad = connected("allowlist", "import", "bad.csv")
    one_bad = connected("allowlist", "import", "typo.csv")
    one = connected("allowlist", "import", "one.csv")

    assert bad.exit_code == ExitCode.BAD_INPUT
    said = " ".join(bad.stdout.split())  # the table may fold a cell
    assert "unknown kind 'flwo' (one of: flow, scheduled_apex" in said
    assert "must be a whole number, got 'x'" in said
    assert not any(words in bad.output for words in ("Input should", "Value error"))
    assert "2 bad rows in bad.csv" in bad.stderr
    assert "1 bad row in typo.csv" in one_bad.stderr
    assert "Imported 1 entry from one.csv: 1 added, 0 changed, 0 unchanged." in one.stdout
