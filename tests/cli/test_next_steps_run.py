"""Every next step the CLI prints runs as copied, in local mode and in deployed mode (issue
25 item 5): each printed `apibrake ...` command is split as a shell would and run exactly
so, with no flag added, against the local stand-ins (the `local up` state file; moto's
CloudFormation outputs and the Lambda Invoke stand-in for `--stack`). A step that drops
its mode flag fails on the AWS region or the stack; one with a wrong option fails on usage.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from apibrake_cli.main import app
from sandbox.server import Sandbox
from tests.cli.conftest import Run, as_json
from tests.cli.test_discover_suggest import _lately_changed_org

# A printed command: between backticks, or else from `apibrake` to the end of its clause
# (a comma, a semicolon, a parenthesis, a gap of spaces or the line's end, outside quotes).
_IN_BACKTICKS = re.compile(r"`(apibrake [^`]+)`")
_CLAUSE_END = re.compile(r",|;| \(|\)|\s{2,}|\.?$")
# Words a person replaces before running the step (ID, FILE, KIND:NAME...): not runnable.
_PLACEHOLDER = re.compile(r"^(?:[A-Z][A-Z_]*|KIND:NAME|\.\.\.)$")
_BROKEN = (
    "No such option",
    "No such command",
    "Usage:",
    "no AWS region given",  # a step that lost --local, on a machine without AWS settings
    "no AWS credentials found",
    "AWS: ",  # the stack or an endpoint not found
    "AWS refused",
)


def printed_steps(results: list[Result]) -> list[str]:
    """Each distinct apibrake command the results printed (stdout and stderr)."""
    steps: list[str] = []
    for result in results:
        for line in (result.stdout + "\n" + result.stderr).splitlines():
            found = _IN_BACKTICKS.findall(line) or [
                command
                for start in (m.start() for m in re.finditer(r"\bapibrake ", line))
                if (command := _command_at(line[start:])) is not None
            ]
            steps += [command for command in found if command not in steps]
    return steps


def _command_at(text: str) -> str | None:
    """The command `text` starts with: up to the first clause end outside quotes."""
    for end in _CLAUSE_END.finditer(text):
        candidate = text[: end.start()].strip()
        try:
            words = shlex.split(candidate)
        except ValueError:
            continue  # the end is inside quotes
        return candidate if len(words) > 1 else None
    return None


def runnable(step: str) -> bool:
    argv = shlex.split(step)
    return argv[1] not in ("local",) and not any(_PLACEHOLDER.match(word) for word in argv[1:])


def run_as_copied(step: str) -> Result:
    argv = shlex.split(step)
    assert argv[0] == "apibrake"
    # --yes where a step would ask: a copied step answers the prompt; here nobody types
    return CliRunner().invoke(app, argv[1:], input="y\n", catch_exceptions=False)


def _hint_commands(invoke: Run, sandbox: Sandbox, secret_file: Path) -> list[Result]:
    """Commands whose output carries next steps of every kind."""
    _lately_changed_org(sandbox)
    Path("bad.csv").write_text("connection_id,automation\nnobody,flow:Other\n")
    invoke("connections", "add", "hs-bad", "--platform", "hubspot", "--secret-file", secret_file)
    return [
        invoke(
            "connections", "add", "sf-x", "--platform", "salesforce", "--secret-file", "sf.json"
        ),
        invoke("connections", "test", "nobody"),
        invoke("connections", "test", "hs-bad"),
        invoke("allowlist", "remove", "sf-local", "flow:Nope"),
        invoke("allowlist", "import", "bad.csv"),
        invoke("discover", "sf-local", "--yes", "--suggest"),
        invoke("brake", "--connection", "hs-local", "--dry-run", "--reason", "r"),
        invoke("release"),
        invoke("incidents", "nope"),
    ]


def _secrets(sandbox: Sandbox) -> Path:
    hs = {"auth": "token", "base_url": sandbox.hubspot_url, "access_token": "pat-wrong"}
    sf = {
        "auth": "client_credentials",
        "instance_url": sandbox.salesforce_url,
        "client_id": sandbox.salesforce.settings.client_id,
        "client_secret": sandbox.salesforce.settings.client_secret,
    }
    Path("sf.json").write_text(json.dumps(sf))
    Path("hs-bad.json").write_text(json.dumps(hs))
    return Path("hs-bad.json")


@pytest.mark.parametrize("mode", ["local", "deployed"])
def test_every_printed_next_step_runs_as_copied(
    mode: str, request: pytest.FixtureRequest, sandbox: Sandbox
) -> None:
    invoke: Run = request.getfixturevalue("connected" if mode == "local" else "deployed_connected")
    results = _hint_commands(invoke, sandbox, _secrets(sandbox))
    # A braked incident, so the release and incident steps have one to name
    invoke("allowlist", "add", "sf-local", "flow:Runaway_Rollup")
    braked = invoke("brake", "--connection", "sf-local", "--reason", "r", "--yes", "--json")
    assert braked.exit_code == 0, braked.output
    incident = as_json(braked)["incidents"]["sf-local"]
    results.append(invoke("incidents", incident))
    results.append(invoke("release", "--incident", incident, "--dry-run"))

    steps = [step for step in printed_steps(results) if runnable(step)]
    # Not vacuous: the steps of each kind were printed and are runnable as they stand
    for expected in (
        "apibrake connections list",
        "apibrake connections test sf-x",
        "apibrake connections test hs-bad",
        "apibrake allowlist list",
        "apibrake allowlist add sf-local flow:Runaway_Rollup",
        "apibrake incidents",
    ):
        assert any(step.startswith(expected) for step in steps), (expected, steps)
    if mode == "local":
        assert all("--local" in step for step in steps), steps

    broken = {}
    for step in steps:
        result = run_as_copied(step)
        output = result.stdout + result.stderr
        if result.exit_code == 2 or any(word in output for word in _BROKEN):
            broken[step] = (result.exit_code, output[-300:])
    assert broken == {}
