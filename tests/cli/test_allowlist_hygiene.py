"""Allowlist hygiene over the wire: an entry must name something the org or portal has, a
file names each entry once, a re-import says what it changed, and Excel's CSV reads."""

from __future__ import annotations

from pathlib import Path

from click.testing import Result

from apibrake_cli.errors import ExitCode
from sandbox.server import Sandbox
from tests.cli.conftest import Run, as_json


def _said(text: str) -> str:
    return " ".join(text.split())  # the console wraps long lines


def _entries(connected: Run, connection_id: str) -> dict[str, int]:
    listed = as_json(connected("allowlist", "list", connection_id, "--json"))["entries"]
    return {entry["automation"]: entry["tier"] for entry in listed}


def test_add_refuses_a_name_the_org_does_not_have_and_says_the_close_one(
    connected: Run,
) -> None:
    misspelt = connected("allowlist", "add", "sf-local", "flow:Lead_Assignmnet_Process")
    unknown = connected("allowlist", "add", "hs-local", "workflow:999")

    assert misspelt.exit_code == ExitCode.BAD_INPUT
    said = _said(misspelt.stderr)
    assert "flow:Lead_Assignmnet_Process: field 'automation': matches nothing in the org" in said
    assert "did you mean flow:Lead_Assignment_Process?" in said
    assert "--no-check" in said
    assert unknown.exit_code == ExitCode.BAD_INPUT
    said = _said(unknown.stderr)
    assert "workflow:999: field 'automation': matches nothing in the portal of hs-local" in said
    assert "did you mean" not in said  # no id is close to 999
    assert "apibrake discover hs-local --yes --local lists what it has" in said
    assert _entries(connected, "sf-local") == {}
    assert _entries(connected, "hs-local") == {}


def test_add_checks_with_the_brakes_own_read_and_says_the_calls(connected: Run) -> None:
    added = connected("allowlist", "add", "sf-local", "flow:Lead_Assignment_Process", "--json")
    offline = connected("allowlist", "add", "hs-local", "workflow:999", "--no-check")

    assert added.exit_code == 0, added.output
    report = as_json(added)
    assert (report["outcome"], report["api_calls"]) == ("added", 1)  # one FlowDefinition query
    assert offline.exit_code == 0, offline.output
    assert "Not checked against the platform (--no-check)" in offline.stderr
    assert _entries(connected, "hs-local") == {"workflow:999": 1}


def test_add_says_a_tier_change_and_what_it_does_to_the_automatic_brake(connected: Run) -> None:
    connected("allowlist", "add", "sf-local", "flow:Account_Revenue_Rollup")
    raised = connected("allowlist", "add", "sf-local", "flow:Account_Revenue_Rollup", "--tier", "2")
    again = connected("allowlist", "add", "sf-local", "flow:Account_Revenue_Rollup", "--tier", "2")

    said = _said(raised.stdout)
    assert "Changed flow:Account_Revenue_Rollup on sf-local: tier 1 → 2:" in said
    assert "the automatic brake no longer covers it (it takes tier 1, at 90 %)" in said
    assert "only a manual brake with --tier 2 or higher does" in said
    assert "unchanged" in again.stdout


def _import(connected: Run, path: Path, text: str, *args: str, bom: bool = False) -> Result:
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return connected("allowlist", "import", path.name, *args)


def test_import_refuses_misspelt_and_duplicate_rows_by_line(connected: Run, tmp_path: Path) -> None:
    result = _import(
        connected,
        tmp_path / "allow.csv",
        "connection_id,automation,tier\n"
        "sf-local,flow:Account_Revenue_Rollup,1\n"
        "sf-local,flow:Lead_Assignmnet_Process,1\n"
        "hs-local,workflow:101,1\n"
        "sf-local,flow:Account_Revenue_Rollup,2\n"
        "hs-local,workflow:999,1\n",
        "--json",
    )

    assert result.exit_code == ExitCode.BAD_INPUT
    report = as_json(result)
    bad = {row["line"]: row["message"] for row in report["bad_rows"]}
    assert sorted(bad) == [3, 5, 6]
    assert "did you mean flow:Lead_Assignment_Process?" in bad[3]
    assert "on line 2 too: keep one of lines 2 and 5" in bad[5]
    assert "workflow:999 matches nothing in the portal" in bad[6]
    # One brake read per kind and connection, one discovery of each kind with a miss:
    # sf-local 1 + 2 (flows), hs-local 1 + 2 (workflows listed, the enabled read in full).
    assert report["api_calls"] == 6
    assert _entries(connected, "sf-local") == {}


def test_reimport_says_added_changed_and_unchanged_and_the_tier_change(
    connected: Run, tmp_path: Path
) -> None:
    first = _import(
        connected,
        tmp_path / "allow.csv",
        "connection_id,automation,tier\n"
        "sf-local,flow:Account_Revenue_Rollup,1\n"
        "sf-local,flow:Lead_Assignment_Process,1\n",
    )
    again = _import(
        connected,
        tmp_path / "allow.csv",
        "connection_id,automation,tier\n"
        "sf-local,flow:Account_Revenue_Rollup,2\n"
        "sf-local,flow:Lead_Assignment_Process,1\n"
        "hs-local,workflow:101,1\n",
    )

    assert first.exit_code == 0, first.output
    assert "2 added, 0 changed, 0 unchanged" in first.stdout
    assert again.exit_code == 0, again.output
    said = _said(again.stdout)
    assert (
        "Imported 3 entries from allow.csv: 1 added, 1 changed (tier 1 → 2), 1 unchanged." in said
    )
    assert (
        "flow:Account_Revenue_Rollup on sf-local: tier 1 → 2: the automatic brake no longer "
        "covers it (it takes tier 1, at 90 %); only a manual brake with --tier 2 or higher does"
    ) in said
    assert "Checked each automation on its platform (2 API calls)" in _said(again.stderr)
    assert _entries(connected, "sf-local")["flow:Account_Revenue_Rollup"] == 2


def test_excel_csv_with_a_byte_order_mark_and_semicolons_imports(
    connected: Run, tmp_path: Path
) -> None:
    result = _import(
        connected,
        tmp_path / "excel.csv",
        "connection_id;automation;tier;note\r\n"
        "sf-local;flow:Account_Revenue_Rollup;1;rollup, nightly\r\n"
        "# a comment line\r\n"
        "hs-local;workflow:101;1;\r\n",
        bom=True,
    )

    assert result.exit_code == 0, result.output
    assert "2 added" in result.stdout
    assert _entries(connected, "sf-local") == {"flow:Account_Revenue_Rollup": 1}


def test_a_csv_that_does_not_parse_names_the_header_and_delimiter_it_read(
    connected: Run, tmp_path: Path
) -> None:
    result = _import(
        connected,
        tmp_path / "tabs.csv",
        "connection_id\tautomation\nsf-local\tflow:Account_Revenue_Rollup\n",
    )

    assert result.exit_code == ExitCode.BAD_INPUT
    said = _said(result.stderr)
    assert "CSV header (line 1) lacks connection_id, automation" in said
    assert "read 1 column split at ',': 'connection_id\\tautomation'" in said


def test_a_kind_the_connection_may_not_read_yet_is_added_unchecked_with_a_warning(
    connected: Run, sandbox: Sandbox
) -> None:
    # Given no Manage Users yet: it is granted once a user is allowlisted (setup.md)
    sandbox.salesforce.revoke_permissions("ManageUsers")

    added = connected("allowlist", "add", "sf-local", "user:etl@acme.example", "--tier", "2")

    assert added.exit_code == 0, added.output
    said = _said(added.stdout)
    assert "Warning: user entries of sf-local not checked: reading them needs ManageUsers" in said
    assert "apibrake connections test sf-local --local names what to grant" in said
    assert _entries(connected, "sf-local") == {"user:etl@acme.example": 2}
