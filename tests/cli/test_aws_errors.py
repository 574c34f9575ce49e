"""AWS problems met before any call is made get advice, not a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from apibrake_cli.errors import ExitCode
from apibrake_cli.main import app


def test_no_region_says_to_pass_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    result = CliRunner().invoke(app, ["connections", "list"])
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "no AWS region" in result.stderr
    assert "--region REGION" in result.stderr
    assert "Traceback" not in result.output
