"""Commands that run until Ctrl-C, as processes sent SIGINT: `status --watch`, `local up`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pytest
from click.testing import CliRunner

from apibrake_cli.local import STATE_FILE, is_live, read_state
from apibrake_cli.main import app
from tests.cli.conftest import Run, as_json

# The CLI as a terminal starts it: Ctrl-C raises KeyboardInterrupt. A test run started in
# the background of a shell (nohup, `cmd &`) inherits SIGINT ignored, and so would the CLI.
AS_FROM_A_TERMINAL = (
    "import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "runpy.run_module('apibrake_cli.main', run_name='__main__', alter_sys=True)"
)


@contextmanager
def apibrake(*args: str, cwd: Path) -> Iterator[subprocess.Popen[str]]:
    """The CLI in its own process (this checkout's code, this process's environment)."""
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-u", "-c", AS_FROM_A_TERMINAL, *args],
        cwd=cwd,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def read_until(stream: IO[str] | None, marker: str) -> str:
    """Lines up to and including the first that holds `marker` (blocks until it comes)."""
    assert stream is not None
    seen = ""
    for line in stream:
        seen += line
        if marker in line:
            return seen
    raise AssertionError(f"the process ended before printing {marker!r}:\n{seen}")


def interrupt(process: subprocess.Popen[str]) -> tuple[str, str]:
    """Ctrl-C, then what the process printed until it exited."""
    process.send_signal(signal.SIGINT)
    return process.communicate(timeout=60)


def test_status_watch_refreshes_until_ctrl_c(deployed_connected: Run, tmp_path: Path) -> None:
    with apibrake("--stack", "apibrake", "status", "--watch", "1", cwd=tmp_path) as watch:
        first = read_until(watch.stdout, "sf-local")
        _, errors = interrupt(watch)

    assert "Status at" in first
    assert watch.returncode == 0, errors
    assert "Traceback" not in errors
    assert "Aborted" not in errors


def test_local_up_serves_local_commands_and_cleans_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with apibrake("local", "up", cwd=tmp_path) as up:
        banner = read_until(up.stdout, "Ctrl-C to stop.")
        state = read_state(tmp_path / STATE_FILE)
        assert state is not None
        assert is_live(state)

        # A --local command in the same directory attaches to it
        monkeypatch.chdir(tmp_path)
        added = CliRunner().invoke(
            app,
            [
                "--local",
                "connections",
                "add",
                "sf-local",
                "--platform",
                "salesforce",
                "--from-sandbox",
            ],
        )
        listed = CliRunner().invoke(app, ["--local", "connections", "list", "--json"])
        rest, errors = interrupt(up)

    assert "moto (AWS)   http://127.0.0.1:" in banner
    assert added.exit_code == 0, added.output
    assert "no running local stack" not in listed.stderr
    assert [c["connection_id"] for c in as_json(listed)["connections"]] == ["sf-local"]
    # Ctrl-C stops it cleanly: state file gone, moto down
    assert up.returncode == 0, errors
    assert "stopped" in rest
    assert not (tmp_path / STATE_FILE).exists()
    assert not is_live(state)


def test_local_up_stopped_by_kill_cleans_up_as_ctrl_c_does(tmp_path: Path) -> None:
    with apibrake("local", "up", cwd=tmp_path) as up:
        read_until(up.stdout, "Ctrl-C to stop.")
        state = read_state(tmp_path / STATE_FILE)
        up.send_signal(signal.SIGTERM)
        rest, errors = up.communicate(timeout=60)

    assert up.returncode == 0, errors
    assert "stopped" in rest
    assert not (tmp_path / STATE_FILE).exists()
    assert state is not None
    assert not is_live(state)  # its moto went with it
