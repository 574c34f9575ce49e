"""Library log lines in a terminal: none unless --debug, then each with its details.

The layer logs through the standard library for CloudWatch. In a CLI with no handler
configured, Python's last-resort handler would print a bare warning ("platform call
failed") on stderr, with neither the details that explain it nor any advice; the
command's own output already says what failed and what to do.
"""

from __future__ import annotations

import logging
import sys

LAYER_PACKAGE = "apibrake"  # every layer module logs below it

# Attributes every LogRecord has: anything else on a record came in as `extra`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class _WithDetails(logging.Formatter):
    """'WARNING apibrake.http.client: platform call failed (status=403, path=/x)'."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{record.levelname} {record.name}: {record.getMessage()}"
        details = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        if details:
            line += " (" + ", ".join(f"{k}={v}" for k, v in details.items()) + ")"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


_QUIET = logging.NullHandler()
_DEBUG = logging.StreamHandler()
_DEBUG.setFormatter(_WithDetails())


def quiet_library_logs() -> None:
    """No log line reaches the terminal: a handler on the root logger keeps Python's
    last-resort handler from printing warnings bare."""
    root = logging.getLogger()
    if _QUIET not in root.handlers:
        root.addHandler(_QUIET)


def show_library_logs() -> None:
    """--debug: apibrake's log lines at every level and other libraries' warnings, on
    stderr with their details. Never the AWS SDK's debug lines: they echo Secrets Manager
    payloads, credentials included."""
    root = logging.getLogger()
    _DEBUG.setStream(sys.stderr)  # the stderr of this invocation (a test runner swaps it)
    if _DEBUG not in root.handlers:
        root.addHandler(_DEBUG)
    logging.getLogger(LAYER_PACKAGE).setLevel(logging.DEBUG)
