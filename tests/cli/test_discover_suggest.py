"""discover --suggest over the wire: automations ranked by evidence of activity, and the exact
`apibrake allowlist add` lines for the active ones not yet allowlisted."""

from __future__ import annotations

import shlex
from datetime import UTC, datetime
from pathlib import Path

from apibrake_cli.errors import ExitCode
from sandbox.server import Sandbox
from tests.cli.conftest import Run, as_json


def _lately_changed_org(sandbox: Sandbox) -> None:
    """The quiet org (built weeks ago), then, today, a flow activated and a job scheduled."""
    sandbox.clock.set(datetime.now(UTC))
    sandbox.salesforce.add_flow("Runaway_Rollup", versions=2, active_version=2)
    sandbox.salesforce.add_scheduled_job(
        "Hourly Recalc", cron="0 0 * * * ?", apex_class="RecalcJob"
    )


def test_suggest_ranks_what_changed_lately_and_proposes_allowlist_lines(
    connected: Run, sandbox: Sandbox
) -> None:
    _lately_changed_org(sandbox)
    connected("allowlist", "add", "sf-local", "scheduled_apex:Hourly Recalc")

    result = connected("discover", "sf-local", "--suggest", "--yes", "--json")

    assert result.exit_code == 0, result.output
    report = as_json(result)
    ranked = [row["automation"] for row in report["ranked"]]
    assert set(ranked[:2]) == {"flow:Runaway_Rollup", "scheduled_apex:Hourly Recalc"}
    top = next(row for row in report["ranked"] if row["automation"] == "flow:Runaway_Rollup")
    assert top["changed_at"] is not None
    assert any(reason.startswith("changed") for reason in top["evidence"])
    proposed = [entry["automation"] for entry in report["proposed"]]
    assert proposed[0] == "flow:Runaway_Rollup"  # the allowlisted job is not proposed again
    assert "scheduled_apex:Hourly Recalc" not in proposed
    # The weeks-old flows show no activity (a sandbox recording AsyncApexJob runs may add
    # the nightly job, which ran).
    assert not {"flow:Account_Revenue_Rollup", "flow:Lead_Assignment_Process"} & set(proposed)
    argv = shlex.split(report["proposed"][0]["command"])
    assert argv[:5] == ["apibrake", "allowlist", "add", "sf-local", "flow:Runaway_Rollup"]
    assert argv[5] == "--note"
    assert argv[6].startswith("suggested: changed")
    assert any("daily ApiTotalUsage summary" in note for note in report["notes"])
    assert "15 Salesforce API calls" in result.stderr  # discovery's 11 and the evidence's 4


def test_a_proposed_line_runs_as_printed(connected: Run, sandbox: Sandbox) -> None:
    _lately_changed_org(sandbox)

    result = connected("discover", "sf-local", "--suggest", "--yes")

    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.stdout.splitlines()]
    command = next(
        line
        for line in lines
        if line.startswith("apibrake allowlist add") and "flow:Runaway_Rollup" in line
    )
    added = connected(*shlex.split(command)[1:])
    listed = connected("allowlist", "list", "sf-local", "--json")
    assert added.exit_code == 0, added.output
    [entry] = as_json(listed)["entries"]
    assert entry["automation"] == "flow:Runaway_Rollup"
    assert entry["note"].startswith("suggested: changed")


def test_nothing_active_lately_proposes_nothing_and_points_to_the_starter_list(
    connected: Run,
) -> None:
    result = connected("discover", "sf-local", "--suggest", "--yes")

    assert result.exit_code == 0, result.output
    assert "apibrake allowlist add" not in result.stdout
    assert "apibrake discover sf-local --write starter.csv" in result.stdout


def test_hubspot_proposes_enabled_workflows_and_says_why_without_evidence(
    connected: Run,
) -> None:
    result = connected("discover", "hs-local", "--suggest", "--yes", "--json")

    assert result.exit_code == 0, result.output
    report = as_json(result)
    assert [entry["automation"] for entry in report["proposed"]] == ["workflow:101"]
    assert report["proposed"][0]["evidence"] == []
    assert any("HubSpot's API records none" in note for note in report["notes"])


def test_suggest_names_a_workflow_beside_its_id(connected: Run) -> None:
    result = connected("discover", "hs-local", "--suggest", "--yes")
    report = as_json(connected("discover", "hs-local", "--suggest", "--yes", "--json"))

    assert result.exit_code == 0, result.output
    assert "workflow:101 (Lifecycle stage sync)" in " ".join(result.stdout.split())
    (proposed,) = report["proposed"]
    assert proposed["automation"] == "workflow:101"  # the key stays the id
    assert proposed["note"].endswith("; name: Lifecycle stage sync")


def test_write_holds_what_suggest_proposes_and_the_rest_commented_out(
    connected: Run, sandbox: Sandbox, tmp_path: Path
) -> None:
    # Given a flow activated today, and a flow named as a protected consumer
    _lately_changed_org(sandbox)
    protected = connected("connections", "protect", "sf-local", "Lead_Assignment_Process")
    assert protected.exit_code == 0, protected.output

    written = connected("discover", "sf-local", "--yes", "--write", "allow.csv", "--json")
    suggested = connected("discover", "sf-local", "--yes", "--suggest", "--json")

    # Then the file's live rows are what --suggest proposes, the rest commented out
    assert written.exit_code == 0, written.output
    assert "15 Salesforce API calls" in written.stderr  # the evidence --suggest reads too
    lines = (tmp_path / "allow.csv").read_text().splitlines()
    live = [line.split(",")[1] for line in lines[1:] if not line.startswith("#")]
    commented = [line.split(",")[1] for line in lines if line.startswith("# sf-local")]
    proposed = [entry["automation"] for entry in as_json(suggested)["proposed"]]
    assert live == proposed
    assert "flow:Runaway_Rollup" in live
    assert "flow:Account_Revenue_Rollup" in commented
    report = as_json(written)
    assert (report["entries_written"], report["entries_commented_out"]) == (
        len(live),
        len(commented),
    )
    # never a protected consumer, a user or a kill switch, not even commented out
    text = (tmp_path / "allow.csv").read_text()
    assert "Lead_Assignment_Process" not in text
    assert "user:" not in text
    assert "setting:" not in text
    # And the file imports as written: the live rows alone
    imported = connected("allowlist", "import", "allow.csv", "--json")
    assert imported.exit_code == 0, imported.output
    assert as_json(imported)["added"] == len(live)


def test_write_never_replaces_a_file_without_force(
    connected: Run, sandbox: Sandbox, tmp_path: Path
) -> None:
    edited = "connection_id,automation,tier\nsf-local,flow:Account_Revenue_Rollup,2\n"
    (tmp_path / "allow.csv").write_text(edited)

    kept = connected("discover", "sf-local", "--yes", "--write", "allow.csv")

    assert kept.exit_code == ExitCode.BAD_INPUT
    said = " ".join(kept.stderr.split())
    assert "allow.csv exists: not replaced" in said
    assert "--force" in said
    assert "spends" not in said  # refused before any API call
    assert (tmp_path / "allow.csv").read_text() == edited
    replaced = connected("discover", "sf-local", "--yes", "--write", "allow.csv", "--force")
    assert replaced.exit_code == 0, replaced.output
    assert (tmp_path / "allow.csv").read_text() != edited
