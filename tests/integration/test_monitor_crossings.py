"""A reading crosses from the event loop to the worker threads once: one thread call stores
it, decides, claims, brakes and sends; only a won alert that carries suspects comes back to
the loop for their sources (platform calls) and then crosses once more to act. Counted over
the wire: moto server + the sandbox over HTTP, the monitor run as its handler runs it."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from apibrake.aws_threads import AwsThreads
from drill.stack import LocalStack


@pytest.fixture
def thread_calls(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """What the monitor ran in its worker threads, by function name."""
    calls: Counter[str] = Counter()
    original = AwsThreads.call

    async def counted(self: AwsThreads, function: Any, *args: Any, **kwargs: Any) -> Any:
        calls[getattr(function, "__name__", repr(function))] += 1
        return await original(self, function, *args, **kwargs)

    monkeypatch.setattr(AwsThreads, "call", counted)
    return calls


def test_each_reading_crosses_to_the_threads_once(
    stack: LocalStack, thread_calls: Counter[str]
) -> None:
    # Given two connections, one of them past its first warning
    stack.add_salesforce()
    stack.add_hubspot()
    stack.sandbox.hubspot.add_usage(100_000)  # 40 %: quiet
    stack.sandbox.salesforce.add_usage(75_000)  # 75 %: warn:70 is due

    # When one run checks them
    report = stack.check()

    # Then each connection's secret and its reading crossed once each, suspects or not
    rows = {row["connection_id"]: row for row in report["connections"]}
    assert rows["sf-prod"]["alerts_sent"] == ["warn:70"]
    assert rows["sf-prod"]["suspects"] is not None  # gathered on the loop, between the two
    assert thread_calls["load_connection_secret"] == 2
    assert thread_calls["assess_and_act"] == 2
    assert thread_calls["finish"] == 1  # only the alert with suspects came back to act


def test_a_quiet_check_is_one_crossing_after_its_secret(
    stack: LocalStack, thread_calls: Counter[str]
) -> None:
    stack.add_hubspot()
    stack.sandbox.hubspot.add_usage(100_000)
    stack.check()
    assert thread_calls["assess_and_act"] == 1
    assert thread_calls["finish"] == 0
