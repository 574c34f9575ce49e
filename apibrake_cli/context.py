"""Options every command accepts (also before the command name), and running a command body."""

from __future__ import annotations

import dataclasses
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn, TypeVar

import click

from apibrake_cli.errors import CliError, ExitCode, advise
from apibrake_cli.logs import quiet_library_logs, show_library_logs
from apibrake_cli.options import Options
from apibrake_cli.output import Output
from apibrake_cli.steps import chosen_options
from apibrake_cli.target import Target, open_target

F = TypeVar("F", bound=Callable[..., Any])


def _store(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    # Set only what was given, so `apibrake --local status` and `apibrake status --local` agree.
    if value not in (None, False):
        root = ctx.find_root()
        options = root.meta.get("apibrake.options", Options())
        root.meta["apibrake.options"] = dataclasses.replace(options, **{str(param.name): value})
        if param.name == "debug":
            show_library_logs()
    return value


_WHERE = ("stack", "profile", "region", "local")
_HOW = ("json", "debug")


def _shared_options(function: F, names: tuple[str, ...]) -> F:
    decorators = {
        "stack": click.option("--stack", help="CloudFormation stack name [default: apibrake]."),
        "profile": click.option("--profile", help="AWS profile for a deployed stack."),
        "region": click.option("--region", help="AWS region of the deployed stack."),
        "local": click.option(
            "--local", is_flag=True, help="Use the local stack (apibrake local up)."
        ),
        "json": click.option("--json", "json", is_flag=True, help="Print JSON for scripts."),
        "debug": click.option(
            "--debug",
            is_flag=True,
            help="Show tracebacks and the log lines of apibrake and its libraries, with "
            "their details (HTTP status, path, error code).",
        ),
    }
    for name in reversed(names):
        function = decorators[name](function)
    for param in function.__click_params__:  # type: ignore[attr-defined]
        if param.name in names:
            param.expose_value = False
            param.callback = _store
            param.is_eager = True
    return function


def common_options(function: F) -> F:
    """--stack/--profile/--region/--local/--json/--debug on a command or the group."""
    return _shared_options(function, _WHERE + _HOW)


def output_options(function: F) -> F:
    """--json/--debug only: for a command that picks its own stack (the drill starts a
    fresh local one), so it never offers --stack or --local it would ignore."""
    return _shared_options(function, _HOW)


def options() -> Options:
    return chosen_options()


def output() -> Output:
    return Output(json_mode=options().json)


@contextmanager
def target(out: Output) -> Iterator[Target]:
    with open_target(options(), out) as opened:
        yield opened


def fail(error: CliError, out: Output, details: dict[str, Any] | None = None) -> NoReturn:
    """Prints the advice (and the JSON error for scripts) and exits with the error's code."""
    if out.json_mode:
        out.json(
            {
                "error": error.message,
                "hint": error.hint,
                "exit_code": int(error.code),
                **(details or {}),
            }
        )
    out.err.print(f"Error: {error.message}", markup=False)
    if error.hint:
        out.err.print(f"  -> {error.hint}", markup=False)
    raise click.exceptions.Exit(int(error.code))


class WholeHelpGroup(click.Group):
    """Lists its commands with their whole first sentence, wrapped, never cut at "...":
    a description cut mid-phrase does not say what the command does."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [
            (name, command.get_short_help_str(limit=sys.maxsize))
            for name in self.list_commands(ctx)
            if (command := self.get_command(ctx, name)) is not None and not command.hidden
        ]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


class AdvisingGroup(WholeHelpGroup):
    """Turns any exception into advice and an exit code; --debug adds the traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        quiet_library_logs()
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:
            error = advise(exc)
            out = Output(json_mode=options().json)
            if options().debug:
                out.err.print(traceback.format_exc(), markup=False)
            fail(error, out)
        return None


def confirm(question: str, *, yes: bool) -> None:
    """Asks on stderr unless --yes; a 'no' (or no terminal) stops with exit code 1."""
    if yes:
        return
    if not click.confirm(question, default=False, err=True):
        raise CliError(
            "not confirmed; nothing changed",
            code=ExitCode.FAILED,
            hint="add --yes to skip the question",
        )
