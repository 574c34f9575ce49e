"""A monitor invocation that fails part-way ends at once (issue 27).

The interleaving the soak hung on: one connection's suspects are being gathered when
another connection's DynamoDB write dies. The invocation must end in seconds with the
error, not wait on itself until Lambda's timeout. moto server + the sandbox over HTTP.
"""

from __future__ import annotations

import faulthandler
import sys
import threading
import time
from typing import Any

import pytest

from apibrake.runtime import aws as runtime_aws
from apibrake.store import table_keys
from apibrake.watch.check import Checker
from drill.stack import LocalStack

HANG_GUARD_SECONDS = 30  # far above a normal check; only a hang gets near it


class ProcessDied(SystemExit):
    """Lambda's process dying inside a call: nothing in the layer may catch it."""


def test_a_death_while_suspects_are_gathered_ends_the_check_at_once(stack: LocalStack) -> None:
    stack.add_salesforce()
    stack.add_hubspot()
    stack.sandbox.salesforce.add_usage(75_000)  # a warning is due: its suspects are gathered
    stack.sandbox.hubspot.add_usage(100_000)
    allowlist_table = stack.aws.table_name("AllowlistTable")
    gathering, died = threading.Event(), threading.Event()

    def salesforce_gathers(params: dict[str, Any], **_: Any) -> None:
        # The suspects' allowlist read: the first step of gathering them.
        ours = params.get("TableName") == allowlist_table and "sf-prod" in str(params)
        if ours and not gathering.is_set():
            gathering.set()
            died.wait(HANG_GUARD_SECONDS)
            time.sleep(0.5)  # the loop is unwinding the death by now

    def hubspot_dies(params: dict[str, Any], **_: Any) -> None:
        if table_keys.reading_pk("hs-main") in str(params):
            assert gathering.wait(HANG_GUARD_SECONDS)
            died.set()
            raise ProcessDied("died writing hs-main's reading")

    dynamodb = runtime_aws.aws_client("dynamodb")
    hooks = [
        ("before-parameter-build.dynamodb.Query", salesforce_gathers),
        ("before-call.dynamodb.BatchWriteItem", hubspot_dies),
    ]
    outcome: list[BaseException] = []

    def invoke() -> None:
        try:
            stack.check()
        except BaseException as error:  # the death, carried to the test's thread
            outcome.append(error)

    for event, hook in hooks:
        dynamodb.meta.events.register(event, hook)
    try:
        runner = threading.Thread(target=invoke, daemon=True)
        runner.start()
        runner.join(HANG_GUARD_SECONDS)
    finally:
        for event, hook in hooks:
            dynamodb.meta.events.unregister(event, hook)
    if runner.is_alive():  # every thread's stack, to see who waits on whom
        faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
    assert not runner.is_alive(), "the invocation hung on its own worker threads"
    assert [type(error) for error in outcome] == [ProcessDied]


def test_a_bug_in_one_check_leaves_the_others_checked(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack.add_salesforce()
    stack.add_hubspot()
    stack.sandbox.hubspot.add_usage(100_000)
    original = Checker.check

    async def broken_for_salesforce(self: Any, connection: Any) -> Any:
        if connection.connection_id == "sf-prod":
            raise RuntimeError("a bug outside every handler")
        return await original(self, connection)

    monkeypatch.setattr(Checker, "check", broken_for_salesforce)
    report = stack.check()
    rows = {row["connection_id"]: row for row in report["connections"]}
    assert rows["sf-prod"]["error"] == "unexpected RuntimeError while checking"
    assert rows["hs-main"]["error"] is None
    assert rows["hs-main"]["percent"] == pytest.approx(40.0, abs=0.1)
