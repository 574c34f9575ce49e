"""Serving until stopped, however it is stopped."""

from __future__ import annotations

import contextlib
import signal
import threading
from types import FrameType


def wait_until_stopped() -> None:
    """Blocks until Ctrl-C, SIGTERM (`kill`) or SIGHUP (the terminal closed). All three end
    the wait alike, so the caller's cleanup (child servers, the state file) runs whichever
    it was: a `kill` must not leave moto running behind a state file that points at it."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    for stopping in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(stopping, stop)
    with contextlib.suppress(KeyboardInterrupt):
        threading.Event().wait()
