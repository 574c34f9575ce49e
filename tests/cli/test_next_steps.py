"""Every next step the CLI prints in local mode works as copied: it carries `--local`.

A hint without `--local` sends the person to the deployed stack named `apibrake` (or to an
AWS credentials error) in the middle of a rehearsal; so each command below is run in local
mode and every apibrake command its output names must carry the flag.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from click.testing import Result

from sandbox.server import Sandbox
from tests.cli.conftest import Run
from tests.cli.test_discover_suggest import _lately_changed_org

# The commands a next step can name (not `local`: `apibrake local up` takes no --local).
_COMMAND = re.compile(
    r"apibrake (?:connections|discover|allowlist|status|brake|release|incidents|consumers)\b"
)


def _next_steps(result: Result) -> list[str]:
    """Each printed line naming an apibrake command, with the commands it names."""
    return [line for line in result.output.splitlines() if _COMMAND.search(line)]


def _without_local(lines: list[str]) -> list[str]:
    """Lines naming more apibrake commands than they carry `--local` flags."""
    return [line for line in lines if len(_COMMAND.findall(line)) > line.count("--local")]


def test_every_next_step_printed_in_local_mode_carries_local(
    connected: Run, sandbox: Sandbox, tmp_path: Path
) -> None:
    _lately_changed_org(sandbox)
    (tmp_path / "bad.csv").write_text("connection_id,automation\nnobody,flow:Other\n")
    hs_secret = {"auth": "token", "base_url": sandbox.hubspot_url, "access_token": "pat-wrong"}
    (tmp_path / "hs.json").write_text(json.dumps(hs_secret))
    connected("connections", "add", "hs-bad", "--platform", "hubspot", "--secret-file", "hs.json")

    results = [
        connected("connections", "add", "sf-x", "--platform", "salesforce", "--from-sandbox"),
        connected("connections", "test", "nobody"),
        connected("connections", "test", "hs-bad"),
        connected("allowlist", "remove", "sf-local", "flow:Nope"),
        connected("allowlist", "import", "bad.csv"),
        connected("discover", "sf-local", "--yes", "--write", "allow.csv"),
        connected("discover", "sf-local", "--yes", "--suggest"),
        connected("brake", "--connection", "hs-local", "--dry-run", "--reason", "r"),
        connected("release"),
        connected("incidents", "nope"),
    ]

    printed = [line for result in results for line in _next_steps(result)]
    # Each kind of hint was printed (so the check below is not vacuous) ...
    for expected in (
        "apibrake connections test sf-x --local",  # after add
        "apibrake connections list --local",  # an unknown connection
        "apibrake connections test hs-bad --local",  # refused credentials
        "apibrake allowlist list sf-local --local",  # an unknown entry
        "apibrake allowlist import allow.csv --local",  # after discover --write
        "apibrake allowlist add sf-local flow:Runaway_Rollup",  # discover --suggest
        "apibrake allowlist list --local",  # nothing to brake
        "apibrake incidents --local",  # nothing to release, an unknown incident
    ):
        assert any(expected in line for line in printed), (expected, printed)
    # ... and none of them drops --local.
    assert _without_local(printed) == []


def test_a_suggested_line_runs_as_printed_against_the_local_stack(
    connected: Run, sandbox: Sandbox
) -> None:
    _lately_changed_org(sandbox)
    result = connected("discover", "sf-local", "--suggest", "--yes")
    line = next(
        line.strip() for line in result.stdout.splitlines() if "apibrake allowlist add" in line
    )
    argv = shlex.split(line)
    assert argv[0] == "apibrake"
    assert argv[-1] == "--local"
    assert connected(*argv[1:]).exit_code == 0
