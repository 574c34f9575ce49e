"""Serving until stopped, however it is stopped."""

from __future__ import annotations

import contextlib
import signal
import threading
from types import FrameType


def stop_on_signals() -> None:
    """From now on SIGTERM (`kill`) and SIGHUP (the terminal closed) stop this process as
    Ctrl-C does, so the caller's cleanup (child servers, the state file) runs whichever it
    was: a `kill` must not leave moto running behind a state file that points at it. Call
    it before starting anything, so a signal during start-up is covered too."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    for stopping in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(stopping, stop)


def wait_until_stopped() -> None:
    """Blocks until Ctrl-C, SIGTERM or SIGHUP."""
    stop_on_signals()
    with contextlib.suppress(KeyboardInterrupt):
        threading.Event().wait()
