"""`pipx install .` has no local stack: the CLI says what to install, never a traceback."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from apibrake_cli.errors import CliError, ExitCode
from apibrake_cli.local_extra import local_extra
from apibrake_cli.main import app


def test_a_missing_local_package_names_itself_and_the_extra() -> None:
    with pytest.raises(CliError) as caught, local_extra():
        importlib.import_module("apibrake_no_such_package")
    assert caught.value.code is ExitCode.NOT_FOUND
    assert "apibrake_no_such_package" in caught.value.message
    assert "pipx install '.[local]'" in caught.value.hint


def test_local_outside_a_clone_says_to_run_it_from_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import apibrake_cli.local as local

    monkeypatch.setattr(local, "TEMPLATE_PATH", tmp_path / "template.yaml")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["--local", "connections", "list"])
    assert result.exit_code == ExitCode.NOT_FOUND
    assert "source tree" in result.output
    assert "Traceback" not in result.output
