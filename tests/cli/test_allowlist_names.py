"""Names, not ids (issue 25 item 3): a HubSpot workflow allowlisted by id is stored with the
name its existence check read, and every place a person reads it says the name beside the
id: `allowlist add` and `list`, and the alerts' list of what the brake would stop."""

from __future__ import annotations

from pathlib import Path

from localaws import LocalAws
from sandbox.server import Sandbox
from tests.cli.conftest import Run, as_json

NAMED = "workflow:101 (Lifecycle stage sync)"


def test_a_workflow_is_stored_with_its_name_and_listed_by_it(connected: Run) -> None:
    added = connected("allowlist", "add", "hs-local", "workflow:101", "--json")
    listed = connected("allowlist", "list", "hs-local")
    again = connected("allowlist", "add", "hs-local", "workflow:101")

    assert added.exit_code == 0, added.output
    assert as_json(added)["added"]["label"] == "Lifecycle stage sync"
    assert NAMED in listed.stdout
    assert f"{NAMED} on hs-local was allowlisted already" in again.stdout
    # Adding it again, as given, changes nothing: the name is read, not given
    assert "allowlisted already, as given (tier 1): unchanged" in again.stdout


def test_an_imported_workflow_gets_its_name_too(connected: Run) -> None:
    Path("allow.csv").write_text(  # in the test's own directory (the `run` fixture's)
        "connection_id,automation\nhs-local,workflow:101\n"
    )

    imported = connected("allowlist", "import", "allow.csv")
    listed = connected("allowlist", "list", "--json")

    assert imported.exit_code == 0, imported.output
    (entry,) = as_json(listed)["entries"]
    assert entry["label"] == "Lifecycle stage sync"


def test_the_usage_alert_names_the_workflow_beside_its_id(
    connected: Run, aws: LocalAws, sandbox: Sandbox
) -> None:
    inbox = aws.alert_inbox()
    connected("allowlist", "add", "hs-local", "workflow:101")
    used, limit = sandbox.hubspot.usage()
    sandbox.hubspot.add_usage(int(limit * 0.75) - used)  # past the 70 % warning

    checked = connected("status", "--check")

    assert checked.exit_code == 0, checked.output
    bodies = "\n".join(alert.body for alert in inbox.receive())
    assert f"  - {NAMED} (tier 1)" in bodies
