"""What reaches a CLI user's terminal: the command's own words, never a bare library log
line; --debug adds the log lines with their details. Run as a real process, because a test
runner's log capture hides the last-resort handler that prints those lines."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sandbox.faults import Fault, FaultKind
from sandbox.server import Sandbox
from tests.cli.conftest import Run

ROOT = Path(__file__).resolve().parents[2]


def _apibrake(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The CLI of this tree, in `cwd` (where a state file names the local stack)."""
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'layers' / 'apibrake'}{os.pathsep}{ROOT}"}
    return subprocess.run(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "apibrake_cli.main", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_refused_call_prints_no_bare_log_line_and_debug_gives_its_details(
    connected: Run, sandbox: Sandbox, tmp_path: Path
) -> None:
    # Given a portal that refuses the automation scope (the check reports it as missing)
    sandbox.hubspot_server.faults.add(
        Fault(kind=FaultKind.STATUS, status=403, path="/automation/", times=None)
    )

    plain = _apibrake("--local", "connections", "test", "hs-local", cwd=tmp_path)
    debug = _apibrake("--local", "connections", "test", "hs-local", "--debug", cwd=tmp_path)

    # Then the plain run says what is missing, with no library line on stderr
    assert "missing" in plain.stdout
    assert "platform call failed" not in plain.stderr
    assert "Traceback" not in plain.stderr
    # And --debug adds the line with what explains it
    failed = [line for line in debug.stderr.splitlines() if "platform call failed" in line]
    assert failed, debug.stderr
    assert "status=403" in failed[0]
    assert "/automation/" in failed[0]


def test_help_offers_only_options_a_command_uses_and_keeps_descriptions_whole(
    tmp_path: Path,
) -> None:
    drill = _apibrake("drill", "--help", cwd=tmp_path)
    main = _apibrake("--help", cwd=tmp_path)

    # The drill runs on a fresh local stack of its own: no stack, profile or region
    assert drill.returncode == 0, drill.stderr
    for ignored in ("--stack", "--profile", "--region", "--local"):
        assert ignored not in drill.stdout
    # Each command's description is whole, not cut at "..."
    commands = main.stdout.split("Commands:")[1]
    assert "..." not in commands
    assert "Rehearse an incident end to end" in commands
