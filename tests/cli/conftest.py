"""The CLI against the local stack: the session's moto server and a fresh sandbox per test.

`run`: each test runs in its own directory holding the state file `apibrake local up` would
write, so every `--local` command attaches to that stack, as it would to a running `local up`.
`deployed`: the same stack reached as a deployed one (--stack): its outputs from moto's
CloudFormation, its functions through the Lambda Invoke stand-in.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from apibrake_cli.local import local_state, write_state
from apibrake_cli.main import app
from localaws import LocalAws
from localaws.lambda_process import LocalLambda
from sandbox.scenarios import quiet
from sandbox.server import Sandbox

Run = Callable[..., Result]


@pytest.fixture
def run(aws: LocalAws, sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    """`run("connections", "list", input=...)`: the CLI with --local, in a directory of its own."""
    quiet(sandbox)
    monkeypatch.chdir(tmp_path)
    write_state(local_state(aws, sandbox))

    def invoke(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(app, ["--local", *args], input=input, catch_exceptions=False)

    return invoke


@pytest.fixture
def connected(run: Run) -> Run:
    """Both sandbox platforms added as connections sf-local and hs-local."""
    for cid, platform in (("sf-local", "salesforce"), ("hs-local", "hubspot")):
        result = run("connections", "add", cid, "--platform", platform, "--from-sandbox")
        assert result.exit_code == 0, result.output
    return run


@pytest.fixture
def deployed(
    aws: LocalAws,
    local_lambda: LocalLambda,
    sandbox: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Run:
    """`deployed("status")`: the CLI with --stack NAME, exactly as against an AWS account but
    for the endpoints boto3 is pointed at (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_LAMBDA)."""
    quiet(sandbox)
    aws.create_stack()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws.endpoint_url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", local_lambda.endpoint_url)

    def invoke(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(
            app, ["--stack", aws.stack_name, *args], input=input, catch_exceptions=False
        )

    return invoke


@pytest.fixture
def deployed_connected(deployed: Run, sandbox: Sandbox, tmp_path: Path) -> Run:
    """Both sandbox platforms added as sf-local and hs-local from secret files, as a user would."""
    secrets = {
        "salesforce": {
            "auth": "client_credentials",
            "instance_url": sandbox.salesforce_url,
            "client_id": sandbox.salesforce.settings.client_id,
            "client_secret": sandbox.salesforce.settings.client_secret,
        },
        "hubspot": {
            "auth": "token",
            "base_url": sandbox.hubspot_url,
            "access_token": sandbox.hubspot.settings.token,
        },
    }
    for cid, platform in (("sf-local", "salesforce"), ("hs-local", "hubspot")):
        secret_file = tmp_path / f"{cid}.json"
        secret_file.write_text(json.dumps(secrets[platform]), encoding="utf-8")
        result = deployed(
            "connections", "add", cid, "--platform", platform, "--secret-file", str(secret_file)
        )
        assert result.exit_code == 0, result.output
    return deployed


def as_json(result: Result) -> Any:
    return json.loads(result.stdout)
