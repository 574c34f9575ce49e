"""The `apibrake` script's entry: Ctrl-C while the CLI is still loading (boto3 and the rest
take a moment) says so and exits 130, never a traceback."""

from __future__ import annotations

import sys


def main() -> None:
    try:
        # Imported here, not at the top, so that Ctrl-C while it loads is caught.
        from apibrake_cli.main import app
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted while starting: nothing was done.\n")
        sys.exit(130)
    app()
