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
        # Leaving on an exception or a cancellation, the queued calls are dropped: nothing
        # waits for their answers. The running ones are waited for, a few AWS calls each (no
        # worker ever waits on the event loop, so this cannot deadlock): threads left running
        # would go on after the invocation, and on Lambda resume in the next one.
        self._executor.shutdown(wait=True, cancel_futures=error is not None)
