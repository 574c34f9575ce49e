"""A wall-clock limit on one invocation in the harness: a hang fails, it does not stall.

Lambda ends an invocation at its timeout; the harness runs the handlers in-process, where a
deadlock would sit forever (issue 27). SIGALRM interrupts the main thread even inside a
lock or a thread join; the stack of every thread is printed first, to see who waits on
whom. Only the main thread can take the signal: elsewhere the guard is the caller's.
"""

from __future__ import annotations

import faulthandler
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

# A normal invocation takes a few seconds here, tens on a loaded 2-core machine.
INVOCATION_LIMIT_SECONDS = 120.0


class InvocationHung(AssertionError):
    """An invocation ran past the harness's wall-clock limit."""


@contextmanager
def wall_clock_limit(seconds: float = INVOCATION_LIMIT_SECONDS) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous_remaining, _ = signal.getitimer(signal.ITIMER_REAL)
    if previous_remaining:  # an outer guard is running: it covers this one
        yield
        return

    def hung(_signum: int, _frame: FrameType | None) -> None:
        faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
        raise InvocationHung(f"an invocation ran past {seconds:g} s: the stacks are above")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
