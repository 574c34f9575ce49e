"""Next steps the CLI prints: each one an apibrake command that works as copied.

A hint that drops `--local` after a local command sends the person to the deployed stack
(or to an AWS credentials error); so every printed command goes through `command_line`,
which adds the mode flags the running command was given.
"""

from __future__ import annotations

import shlex

import click

from apibrake_cli.options import Options


def chosen_options() -> Options:
    """The options of the running command (defaults outside one, e.g. in a unit test)."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return Options()
    value = ctx.find_root().meta.get("apibrake.options", Options())
    assert isinstance(value, Options)
    return value


def command_line(*words: str) -> str:
    """An apibrake command to print as the next step, aimed at the stack this one used, so
    it works as copied (`--local` after a local command, `--stack` after a deployed one)."""
    chosen = chosen_options()
    aim = ["--local"] if chosen.local else []
    if not chosen.local:
        defaults = Options()
        for name in ("stack", "profile", "region"):
            if (value := getattr(chosen, name)) != getattr(defaults, name):
                aim += [f"--{name}", str(value)]
    return shlex.join(["apibrake", *words, *aim])
