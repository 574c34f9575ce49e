"""The installed `apibrake` script: help with exit codes, a throwaway local stack, the drill."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = shutil.which("apibrake", path=str(Path(sys.executable).parent))


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert SCRIPT, "apibrake is not installed in this venv: pip install -e '.[dev]'"
    return subprocess.run(  # noqa: S603 - our own console script
        [SCRIPT, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def test_help_documents_exit_codes(tmp_path: Path) -> None:
    result = _run("--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "5 platform daily API limit exhausted" in " ".join(result.stdout.split())


def test_local_without_a_running_stack_starts_a_throwaway_one(tmp_path: Path) -> None:
    result = _run("status", "--local", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["connections"] == []
    assert "apibrake local up" in result.stderr


@pytest.mark.slow
def test_drill_runs_and_reports_json(tmp_path: Path) -> None:
    result = _run("drill", "--hours", "1", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert set(summary["peak_percent"]) == {"sf-prod", "hs-portal"}
