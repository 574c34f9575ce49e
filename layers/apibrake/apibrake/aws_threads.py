"""Blocking AWS calls (boto3) from async code: they run in a small pool of worker threads.

boto3 blocks, so its calls must leave the event loop; but not one thread per task: boto3 is
CPU-heavy, and more threads than this only fight over the GIL. The monitor and the brake
each hold one pool for their whole run.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import Any, TypeVar

T = TypeVar("T")

AWS_THREADS = 10


class AwsThreads:
    def __init__(self, workers: int = AWS_THREADS) -> None:
        self._executor = ThreadPoolExecutor(max(workers, 1), thread_name_prefix="aws")

    async def call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`function(*args, **kwargs)` in a worker thread; the event loop runs on meanwhile."""
        loop = asyncio.get_running_loop()
        call = functools.partial(function, *args, **kwargs)
        return await loop.run_in_executor(self._executor, call)

    def __enter__(self) -> AwsThreads:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # Leaving cleanly, the calls still running are finished work: wait for them. Leaving
        # on an exception or a cancellation, nothing waits for their answers any more: drop
        # the queued ones and return now, so the invocation ends in seconds, not at its
        # timeout (the running calls end on their own; none of them waits for the loop).
        self._executor.shutdown(wait=error is None, cancel_futures=error is not None)
