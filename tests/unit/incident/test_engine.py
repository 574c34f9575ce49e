"""The engine on its own: plan -> execute -> verify with a fake adapter, both directions."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

import pytest

from apibrake.deadline import Deadline
from apibrake.http.errors import DailyLimitExhausted, PlatformUnavailable
from apibrake.incident import engine
from apibrake.incident.adapters import ADAPTERS
from apibrake.incident.adapters.base import (
    ACT,
    LANDED,
    Adapter,
    AdapterRun,
    BrakeDecision,
    Discovered,
    Observed,
)
from apibrake.incident.records import Direction, JournalRow, Outcome
from apibrake.models.allowlist import AllowlistEntry, AutomationKind
from apibrake.models.connection import Platform

KIND = AutomationKind.FLOW


class FakePlatform:
    """Switches by name; a name in `lost` changes but its answer is lost, one in `refused`
    does not change, and a read may be refused outright."""

    def __init__(self, on: dict[str, bool]) -> None:
        self.on = dict(on)
        self.lost: set[str] = set()
        self.refused: set[str] = set()
        self.read_error: Exception | None = None
        self.reads = 0
        self.events: list[str] = []  # "journal:<names>" and "change:<name>", in order


class FakeAdapter(Adapter[FakePlatform]):
    kind: ClassVar[AutomationKind] = KIND
    platform: ClassVar[Platform] = Platform.SALESFORCE
    permissions: ClassVar[tuple[str, ...]] = ("fake",)
    by_hand: ClassVar[str] = "switch it by hand"
    probe_description: ClassVar[str] = "fake read"

    async def inventory(self, client: FakePlatform, names: list[str]) -> dict[str, Observed]:
        client.reads += 1
        if client.read_error is not None:
            raise client.read_error
        return {n: Observed({"on": client.on[n]}) for n in names if n in client.on}

    async def probe(self, client: FakePlatform) -> None:
        return None

    async def discover(self, client: FakePlatform) -> list[Discovered]:
        return []

    def is_off(self, observed: Observed | None) -> bool:
        return observed is None or not observed.summary["on"]

    def is_restored(self, row: JournalRow, observed: Observed | None) -> bool:
        return observed is not None and observed.summary["on"] == (row.before or {}).get("on")

    def decide_brake(self, entry: AllowlistEntry, observed: Observed | None) -> BrakeDecision:
        return ACT

    def planned_after(self, row: JournalRow) -> dict[str, Any]:
        return {**(row.before or {}), "on": False}

    def brake_calls(self, count: int) -> int:
        return count + 1 if count else 0

    async def brake(self, run: AdapterRun[FakePlatform], rows: list[JournalRow]) -> None:
        await self._switch(run, rows, on=False)

    async def release(self, run: AdapterRun[FakePlatform], rows: list[JournalRow]) -> None:
        await self._switch(run, rows, on=True)

    async def _switch(
        self, run: AdapterRun[FakePlatform], rows: list[JournalRow], *, on: bool
    ) -> None:
        for row in rows:
            if not await run.start_batch([row]):
                return
            platform = run.client
            if row.name in platform.refused:
                run.failed(row, "refused")
                continue
            platform.on[row.name] = on
            platform.events.append(f"change:{row.name}")
            if row.name in platform.lost:
                run.failed(row, "read timeout: the answer was lost")
            else:
                run.changed(row, {"on": on})


@pytest.fixture(autouse=True)
def fake_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(ADAPTERS, KIND, FakeAdapter())


def _row(name: str, *, on: bool | None = True) -> JournalRow:
    return JournalRow(
        connection_id="c",
        platform=Platform.SALESFORCE,
        kind=KIND,
        name=name,
        before=None if on is None else {"on": on},
    )


def _journal(platform: FakePlatform) -> engine.Journal:
    async def write(rows: list[JournalRow]) -> None:
        platform.events.append("journal:" + ",".join(r.name for r in rows))

    return write


def _act_on_all(adapter: Adapter[Any], row: JournalRow, observed: Observed | None) -> bool:
    return True


def _run(
    platform: FakePlatform,
    direction: Direction,
    rows: list[JournalRow],
    deadline: Deadline | None = None,
) -> tuple[engine.Plan, engine.Execution]:
    async def go() -> tuple[engine.Plan, engine.Execution]:
        work = await engine.plan(direction, platform, rows, _act_on_all)
        execution = await engine.execute(
            work, platform, deadline or Deadline(), _journal(platform), concurrency=5
        )
        await engine.verify(work, execution, platform, deadline or Deadline())
        return work, execution

    return asyncio.run(go())


def test_every_change_is_journalled_before_it_is_made() -> None:
    platform = FakePlatform({"a": True, "b": True})
    _run(platform, Direction.BRAKE, [_row("a"), _row("b")])
    assert platform.events == ["journal:a", "change:a", "journal:b", "change:b"]
    assert platform.on == {"a": False, "b": False}


@pytest.mark.parametrize("direction", list(Direction))
def test_a_change_whose_answer_was_lost_is_settled_by_the_re_read(direction: Direction) -> None:
    start = direction is Direction.RELEASE  # release switches back on
    platform = FakePlatform({"a": not start, "b": not start})
    platform.lost = {"a"}
    rows = [_row("a", on=True), _row("b", on=True)]
    _, execution = _run(platform, direction, rows)
    assert [row.outcome(direction) for row in rows] == [Outcome.CHANGED, Outcome.CHANGED]
    assert rows[0].outcome(direction) is Outcome.CHANGED
    assert (rows[0].error if direction is Direction.BRAKE else rows[0].release_error) == LANDED
    assert execution.complete


def test_a_failed_change_the_re_read_cannot_see_stays_failed() -> None:
    """Silence is not a sighting: a re-read that drops the row (HubSpot's batch read leaves
    out flows it could not read) never turns a failed change into a made one."""
    platform = FakePlatform({"a": True})
    platform.refused = {"a"}
    (row,) = rows = [_row("a")]

    async def go() -> None:
        work = await engine.plan(Direction.BRAKE, platform, rows, _act_on_all)
        execution = await engine.execute(
            work, platform, Deadline(), _journal(platform), concurrency=5
        )
        del platform.on["a"]  # the re-read does not list it
        await engine.verify(work, execution, platform, Deadline())

    asyncio.run(go())
    assert row.outcome(Direction.BRAKE) is Outcome.FAILED


def test_a_refused_change_stays_failed_after_the_re_read() -> None:
    platform = FakePlatform({"a": True})
    platform.refused = {"a"}
    (row,) = rows = [_row("a")]
    _run(platform, Direction.BRAKE, rows)
    assert row.outcome(Direction.BRAKE) is Outcome.FAILED
    assert row.error == "refused"


def test_a_change_reported_done_but_absent_fails_verification() -> None:
    platform = FakePlatform({"a": True})
    (row,) = rows = [_row("a")]

    async def go() -> None:
        work = await engine.plan(Direction.BRAKE, platform, rows, _act_on_all)
        execution = await engine.execute(
            work, platform, Deadline(), _journal(platform), concurrency=5
        )
        platform.on["a"] = True  # a person switched it back on before the re-read
        await engine.verify(work, execution, platform, Deadline())

    asyncio.run(go())
    assert row.outcome(Direction.BRAKE) is Outcome.FAILED
    assert row.error is not None
    assert "still on" in row.error


def test_a_refused_read_is_reported_once_on_the_plan_and_nothing_is_decided() -> None:
    platform = FakePlatform({"a": True, "b": True})
    platform.read_error = DailyLimitExhausted("salesforce", "REQUEST_LIMIT_EXCEEDED")
    decided: list[str] = []

    def decide(adapter: Adapter[Any], row: JournalRow, observed: Observed | None) -> bool:
        decided.append(row.name)
        return True

    work = asyncio.run(engine.plan(Direction.BRAKE, platform, [_row("a"), _row("b")], decide))
    assert isinstance(work.exhausted, DailyLimitExhausted)
    assert decided == []
    assert work.acting == []
    assert work.calls == 0
    assert platform.reads == 1


def test_a_failed_read_fails_each_row_with_the_direction_s_wording() -> None:
    platform = FakePlatform({"a": True})
    platform.read_error = PlatformUnavailable("salesforce", "HTTP 503")
    rows = [_row("a")]
    work = asyncio.run(engine.plan(Direction.RELEASE, platform, rows, _act_on_all))
    assert work.acting == []
    assert str(rows[0].release_error).startswith("re-read failed")


def test_the_deadline_stops_new_batches_and_leaves_them_untouched() -> None:
    platform = FakePlatform({"a": True, "b": True})
    rows = [_row("a"), _row("b")]
    deadline = Deadline(lambda: 0)  # out of time from the start
    _, execution = _run(platform, Direction.BRAKE, rows, deadline)
    assert not execution.complete
    assert platform.on == {"a": True, "b": True}
    assert platform.events == []


def test_a_trimmed_plan_keeps_what_the_budget_pays_for_in_order() -> None:
    platform = FakePlatform(dict.fromkeys("abcd", True))
    rows = [_row(n) for n in "abcd"]
    work = asyncio.run(engine.plan(Direction.BRAKE, platform, rows, _act_on_all))
    assert work.calls == 5
    cut = work.trim(3)  # two changes and the re-read
    assert [r.name for r in work.acting] == ["a", "b"]
    assert [r.name for r in cut] == ["c", "d"]
