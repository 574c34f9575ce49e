"""The local stack's prerequisites: the `local` extra's packages and the source tree.

`pipx install .` gives the CLI for deployed stacks; the local stack (moto, the sandbox, the
handlers beside template.yaml) also needs `pipx install '.[local]'` and a clone to run in.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from apibrake_cli.errors import CliError, ExitCode

INSTALL_HINT = (
    "in a clone: make venv, then use .venv/bin/apibrake; or pipx install '.[local]' and run "
    "apibrake from the clone"
)


@contextmanager
def local_extra() -> Iterator[None]:
    """Turns a missing local-stack package into the error that says how to get it."""
    try:
        yield
    except ModuleNotFoundError as error:
        raise CliError(
            f"the local stack needs the Python package {error.name or 'it imports'}, "
            "which is not installed",
            code=ExitCode.NOT_FOUND,
            hint=INSTALL_HINT,
        ) from None
