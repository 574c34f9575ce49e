"""The incident engine: plan -> execute -> verify, the same for brake and release.

- `plan`: one read per kind (concurrently), a decision per automation (the one resume rule,
  `incident/resume.py`, then the policy's say on what it leaves open), the API calls the
  change would spend; a refused read (daily limit) is reported once, on the plan.
- `execute`: every kind's change concurrently; adapters journal each batch before its
  call (through `AdapterRun`), the deadline stops new batches, platform errors become
  row outcomes.
- `verify`: one re-read per kind of every row the act step touched or tried, failed ones
  included, and the rows record what the platform shows (a call that failed or lost its
  answer but whose change landed counts as made, so release puts it back).

The policies around it (which rows, when, what to tell people) live in
`brake/responder.py` and `release/restorer.py`. A dry run stops after `plan`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from apibrake.deadline import Deadline
from apibrake.http.errors import DailyLimitExhausted, PlatformError
from apibrake.incident.adapters import ADAPTERS, Adapter
from apibrake.incident.adapters.base import AdapterRun, Observed
from apibrake.incident.records import Direction, JournalRow, Outcome
from apibrake.incident.resume import Decide, acts_on

if TYPE_CHECKING:
    from apibrake.platforms.client import PlatformClient

Journal = Callable[[list[JournalRow]], Awaitable[None]]

_READ_FAILED = {Direction.BRAKE: "inventory failed", Direction.RELEASE: "re-read failed"}
# Outcomes whose platform state the verification re-read settles.
_VERIFIED = frozenset({Outcome.CHANGED, Outcome.FAILED, Outcome.PENDING})


@dataclass
class KindPlan:
    adapter: Adapter[Any]
    observed: dict[str, Observed] = field(default_factory=dict)  # by name
    act: list[JournalRow] = field(default_factory=list)


@dataclass
class Plan:
    direction: Direction
    rows: list[JournalRow]  # every row the plan looked at
    kinds: list[KindPlan] = field(default_factory=list)
    exhausted: DailyLimitExhausted | None = None  # the platform refused the read

    @property
    def acting(self) -> list[JournalRow]:
        return [row for kind in self.kinds for row in kind.act]

    @property
    def calls(self) -> int:
        """API calls the change would spend, verification included."""
        return sum(_calls(self.direction, kind.adapter, len(kind.act)) for kind in self.kinds)

    def trim(self, budget: int) -> list[JournalRow]:
        """Keeps, kind by kind in plan order, what `budget` calls allow; returns the rest."""
        cut: list[JournalRow] = []
        for kind in self.kinds:
            keep = 0
            while keep < len(kind.act) and _calls(self.direction, kind.adapter, keep + 1) <= budget:
                keep += 1
            budget -= _calls(self.direction, kind.adapter, keep)
            cut += kind.act[keep:]
            kind.act = kind.act[:keep]
        return cut


@dataclass
class Execution:
    complete: bool = True  # False when the deadline left rows untouched
    exhausted: DailyLimitExhausted | None = None  # the platform refused a change
    stuck: list[JournalRow] = field(default_factory=list)  # pending when it refused
    tried: list[tuple[KindPlan, list[JournalRow]]] = field(default_factory=list)


def _calls(direction: Direction, adapter: Adapter[Any], count: int) -> int:
    return (
        adapter.brake_calls(count) if direction is Direction.BRAKE else adapter.release_calls(count)
    )


async def plan(
    direction: Direction,
    client: PlatformClient,
    rows: list[JournalRow],
    decide: Decide,
    *,
    resumed: frozenset[str] = frozenset(),
) -> Plan:
    """`decide`: the policy's say on what the resume rule leaves open; `resumed`: the keys
    of brake rows an earlier invocation journalled (their recorded prior state stands)."""
    groups: dict[Any, list[JournalRow]] = {}
    for row in rows:
        groups.setdefault(row.kind, []).append(row)
    kinds = [KindPlan(ADAPTERS[kind]) for kind in groups]
    reads = await asyncio.gather(
        *(
            _read(direction, kind.adapter, client, group)
            for kind, group in zip(kinds, groups.values(), strict=True)
        ),
        return_exceptions=True,
    )
    result = Plan(direction, rows, kinds)
    result.exhausted = next((r for r in reads if isinstance(r, DailyLimitExhausted)), None)
    if result.exhausted is not None:
        result.kinds = []
        return result
    for kind, group, read in zip(kinds, groups.values(), reads, strict=True):
        if isinstance(read, BaseException):
            for row in group:
                row.record(direction, Outcome.FAILED, error=f"{_READ_FAILED[direction]}: {read}")
        else:
            _decide_kind(direction, kind, group, read, decide, resumed)
    return result


def _decide_kind(
    direction: Direction,
    kind: KindPlan,
    rows: list[JournalRow],
    read: dict[str, Observed],
    decide: Decide,
    resumed: frozenset[str],
) -> None:
    for row in rows:
        observed = read.get(row.name)
        if observed is not None:
            kind.observed[row.name] = observed
        journalled = row.automation in resumed
        if acts_on(direction, kind.adapter, row, observed, decide, journalled=journalled):
            kind.act.append(row)


def _read(
    direction: Direction, adapter: Adapter[Any], client: PlatformClient, rows: list[JournalRow]
) -> Awaitable[dict[str, Observed]]:
    names = [row.name for row in rows]
    # The brake journals the full prior state; release and verification need less.
    if direction is Direction.BRAKE:
        return adapter.inventory(client, names)
    return adapter.observe(client, names)


async def execute(
    work: Plan, client: PlatformClient, deadline: Deadline, journal: Journal, *, concurrency: int
) -> Execution:
    runs = [
        (kind, AdapterRun(client, work.direction, deadline, journal, kind.observed, concurrency))
        for kind in work.kinds
        if kind.act
    ]
    results = await asyncio.gather(
        *(_act(work.direction, kind.adapter, run, kind.act) for kind, run in runs),
        return_exceptions=True,
    )
    execution = Execution()
    for (kind, run), result in zip(runs, results, strict=True):
        _settle_kind(work.direction, execution, kind, run, result)
    if execution.exhausted is not None:
        execution.stuck = [
            row
            for _, tried in execution.tried
            for row in tried
            if row.outcome(work.direction) is Outcome.PENDING
        ]
    return execution


def _settle_kind(
    direction: Direction,
    execution: Execution,
    kind: KindPlan,
    run: AdapterRun[Any],
    result: BaseException | None,
) -> None:
    """Notes what one kind's act step tried (the rows the deadline stopped were not); a
    platform error fails the rows it left pending, a refusal stops the verification."""
    stopped = {row.automation for row in run.stopped}
    tried = [row for row in kind.act if row.automation not in stopped]
    execution.complete = execution.complete and not stopped
    execution.tried.append((kind, tried))
    if isinstance(result, DailyLimitExhausted):
        execution.exhausted = result
    elif isinstance(result, PlatformError):
        for row in tried:
            if row.outcome(direction) is Outcome.PENDING:
                row.record(direction, Outcome.FAILED, error=str(result))
    elif isinstance(result, BaseException):
        raise result


def _act(
    direction: Direction, adapter: Adapter[Any], run: AdapterRun[Any], rows: list[JournalRow]
) -> Awaitable[None]:
    return adapter.brake(run, rows) if direction is Direction.BRAKE else adapter.release(run, rows)


async def verify(
    work: Plan, execution: Execution, client: PlatformClient, deadline: Deadline
) -> None:
    """Re-reads every tried row once per kind; nothing when the platform refuses calls or
    no time is left (the journal then says what the act step saw)."""
    checks = [
        (kind, [row for row in tried if row.outcome(work.direction) in _VERIFIED])
        for kind, tried in execution.tried
    ]
    checks = [(kind, rows) for kind, rows in checks if rows]
    if not checks or execution.exhausted is not None or not deadline.has_time():
        return
    reads = await asyncio.gather(
        *(kind.adapter.observe(client, [row.name for row in rows]) for kind, rows in checks),
        return_exceptions=True,
    )
    for (kind, rows), read in zip(checks, reads, strict=True):
        for row in rows:
            if not isinstance(read, BaseException):
                kind.adapter.verify(work.direction, row, read.get(row.name))
            elif row.outcome(work.direction) is Outcome.CHANGED:
                row.record(
                    work.direction,
                    Outcome.CHANGED,
                    error=f"changed, but the verification re-read failed: {read}",
                )
