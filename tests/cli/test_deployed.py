"""The deployed path (--stack NAME) end to end, over the wire, as against an AWS account.

Names come from the stack's outputs (CloudFormation describe_stacks, served by moto), tables
and secrets are read through boto3, and every function runs through the Lambda Invoke API
(localaws.lambda_invoke, the stand-in for `sam local start-lambda`). Only the endpoints
differ from a real account: AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_LAMBDA.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner

from apibrake_cli import status
from apibrake_cli.main import app
from apibrake_cli.target import Target
from localaws import LocalAws
from sandbox.server import Sandbox
from tests.cli.conftest import Run, as_json

FLOW = "Account_Revenue_Rollup"


def test_status_check_runs_the_monitor_of_the_stack(deployed_connected: Run) -> None:
    # When the monitor runs through Lambda Invoke, then status reads what it wrote
    checked = deployed_connected("status", "--check", "--json")
    table = deployed_connected("status")

    assert checked.exit_code == 0, checked.output
    rows = {row["connection_id"]: row for row in as_json(checked)["connections"]}
    assert rows["sf-local"]["limit"] == 100_000
    assert rows["hs-local"]["last_check"] is not None
    assert "stack apibrake" in table.stdout
    assert "never checked" not in table.stdout


def test_status_check_pages_the_fleet_one_invoke_per_page(
    deployed_connected: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given pages of one connection (a fleet's pages hold CHECK_PAGE)
    monkeypatch.setattr(status, "CHECK_PAGE", 1)
    invoked: list[dict[str, Any]] = []
    real_invoke = Target.invoke

    def invoke(self: Target, role: str, event: dict[str, Any]) -> dict[str, Any]:
        invoked.append(event)
        return real_invoke(self, role, event)

    monkeypatch.setattr(Target, "invoke", invoke)
    # When status checks now
    checked = deployed_connected("status", "--check", "--json")
    # Then the monitor ran once per page, each for its own connections, and both are fresh
    assert checked.exit_code == 0, checked.output
    assert sorted(event["connection_ids"][0] for event in invoked) == ["hs-local", "sf-local"]
    rows = {row["connection_id"]: row for row in as_json(checked)["connections"]}
    assert all(row["last_check"] is not None for row in rows.values())


def test_brake_dry_run_changes_nothing(deployed_connected: Run, sandbox: Sandbox) -> None:
    deployed_connected("allowlist", "add", "sf-local", f"flow:{FLOW}")

    result = deployed_connected(
        "brake", "--connection", "sf-local", "--dry-run", "--reason", "rehearsal", "--json"
    )

    assert result.exit_code == 0, result.output
    report = as_json(result)
    assert report["dry_run"] is True
    assert [(row["name"], row["status"]) for row in report["rows"]] == [(FLOW, "would_brake")]
    assert sandbox.salesforce.flow(FLOW).active_version == 3


def test_brake_incidents_and_release(deployed_connected: Run, sandbox: Sandbox) -> None:
    # Given one allowlisted automation on each platform
    deployed_connected("allowlist", "add", "sf-local", f"flow:{FLOW}")
    deployed_connected("allowlist", "add", "hs-local", "workflow:101")

    # When braked, listed, shown and released through the stack's functions
    braked = deployed_connected("brake", "--reason", "usage at 92%", "--yes", "--json")
    assert braked.exit_code == 0, braked.output
    incident = as_json(braked)["incidents"]["sf-local"]
    assert sandbox.salesforce.flow(FLOW).active_version is None
    assert sandbox.hubspot.flows["101"]["isEnabled"] is False
    history = deployed_connected("incidents", "--json")
    journal = deployed_connected("incidents", incident, "--json")
    released = deployed_connected("release", "--incident", incident, "--force", "--json")

    # Then the journal recorded the brake and the org is back as it was
    assert {i["connection_id"] for i in as_json(history)["incidents"]} == {"sf-local", "hs-local"}
    (row,) = as_json(journal)["rows"]
    assert (row["kind"], row["name"], row["brake"]) == ("flow", FLOW, "braked")
    assert row["before"]["active_version"] == 3
    assert released.exit_code == 0, released.output
    assert [r["status"] for r in as_json(released)["rows"]] == ["released"]
    assert sandbox.salesforce.flow(FLOW).active_version == 3
    assert sandbox.hubspot.flows["101"]["isEnabled"] is False  # its own incident stays open


def test_unknown_stack_is_not_found(deployed: Run) -> None:
    result = CliRunner().invoke(app, ["--stack", "no-such-stack", "status", "--json"])

    assert result.exit_code == 3
    assert "no-such-stack does not exist" in result.stderr
    assert "--stack NAME" in result.stderr
    assert as_json(result)["exit_code"] == 3


def test_a_function_that_raises_fails_the_command(deployed_connected: Run, aws: LocalAws) -> None:
    # Given a stack whose idempotency table is gone: the responder raises
    deployed_connected("allowlist", "add", "sf-local", f"flow:{FLOW}")
    aws.client("dynamodb").delete_table(TableName=aws.table_name("IdempotencyTable"))

    result = deployed_connected("brake", "--connection", "sf-local", "--reason", "x", "--yes")

    assert result.exit_code == 1
    assert "apibrake-IncidentResponderFunction failed: " in result.stderr
    assert "idempotency store" in result.stderr
    assert "sam logs" in result.stderr


def test_a_function_missing_from_lambda_is_not_found(deployed: Run, aws: LocalAws) -> None:
    # Given a stack whose outputs name a function Lambda does not have
    outputs = aws.outputs() | {"IncidentResponderFunctionName": "apibrake-Deleted"}
    aws.client("cloudformation").create_stack(
        StackName="half-deleted",
        TemplateBody=json.dumps(
            {
                "Resources": {"Nothing": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
                "Outputs": {name: {"Value": value} for name, value in outputs.items()},
            }
        ),
    )

    result = CliRunner().invoke(
        app, ["--stack", "half-deleted", "brake", "--dry-run", "--reason", "x"]
    )

    assert result.exit_code == 3
    assert "Function not found" in result.stderr
    assert "apibrake-Deleted" in result.stderr


def test_status_watch_stops_after_count_refreshes(deployed_connected: Run) -> None:
    result = deployed_connected("status", "--check", "--watch", "1", "--count", "2", "--json")

    assert result.exit_code == 0, result.output
    decoder, text, documents = json.JSONDecoder(), result.stdout, []
    while text.strip():
        document, end = decoder.raw_decode(text.lstrip())
        documents.append(document)
        text = text.lstrip()[end:]
    assert len(documents) == 2
    assert documents[0]["at"] < documents[1]["at"]


def test_status_count_needs_watch(deployed: Run) -> None:
    result = deployed("status", "--count", "2")

    assert result.exit_code == 2
    assert "--count needs --watch" in result.stderr


def test_a_connection_stored_as_an_ssm_securestring_is_checked(
    deployed: Run, sandbox: Sandbox, tmp_path: Any
) -> None:
    # Given an org added with its credentials as an SSM SecureString under the stack's key
    secret_file = tmp_path / "sf.json"
    secret_file.write_text(
        json.dumps(
            {
                "auth": "client_credentials",
                "instance_url": sandbox.salesforce_url,
                "client_id": sandbox.salesforce.settings.client_id,
                "client_secret": sandbox.salesforce.settings.client_secret,
            }
        ),
        encoding="utf-8",
    )
    added = deployed(
        "connections",
        "add",
        "sf-ssm",
        "--platform",
        "salesforce",
        "--secret-file",
        str(secret_file),
        "--secret-id",
        "ssm:/apibrake/sf-ssm",
    )
    assert added.exit_code == 0, added.output
    # When the monitor checks it through Lambda Invoke
    checked = deployed("status", "--check", "--json")
    # Then it was read from Parameter Store: a reading, no error
    assert checked.exit_code == 0, checked.output
    rows = {row["connection_id"]: row for row in as_json(checked)["connections"]}
    assert rows["sf-ssm"]["limit"] == 100_000
