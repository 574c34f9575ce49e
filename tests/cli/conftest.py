"""The CLI against the local stack: the session's moto server and a fresh sandbox per test.

Each test runs in its own directory holding the state file `apibrake local up` would write,
so every `--local` command attaches to that stack, as it would to a running `local up`.
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


def as_json(result: Result) -> Any:
    return json.loads(result.stdout)
