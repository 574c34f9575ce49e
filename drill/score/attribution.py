"""Does the critical alert name the true culprit (issue 12)?

Each scenario declares, per connection, who really burns the calls (an allowlist key such
as `flow:Account_Rollup_Hourly`, or an external app's name) and, where a setup change
started the burn, what that change touched. The monitor's check row that sent the first
critical alert carries the `Suspects` the alert showed; the culprit is named when it is
the top consumer, and the change when one of the suspects' changes touched it. Where the
monitor does not gather suspects yet (no attribution package in the layer, and no check of
the run carried any), the answer is unknown, never a guess; once it does, an alert without
suspects is one that named nobody.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from apibrake.models.attribution import Consumer, SetupChange, Suspects
from drill.score.recorder import Recorded

CRITICAL_KEYS = ("brake:", "limit:", "outside_reach")  # warn/rules.py: the critical alerts


@dataclass(frozen=True)
class Culprit:
    """Who really burns a connection's calls in a scenario."""

    connection_id: str
    consumer: tuple[str, ...]  # allowlist keys or app names; any of them first counts (ties)
    change: str | None = None  # what the change that started the burn touched
    # False where no source can name it (HubSpot has no per-workflow usage API): the cell
    # then says n/a instead of blaming attribution for what the platform does not tell.
    knowable: bool = True


class Named(StrEnum):
    YES = "yes"  # the top consumer, and the change where one started the burn
    TOP_ONLY = "top only"  # the top consumer, but not the change
    NO = "no"
    UNKNOWN = "-"  # no suspects on the critical alert's row: attribution did not run
    NOT_APPLICABLE = "n/a"  # no culprit declared, or no source can know it


def _spellings(wanted: str) -> set[str]:
    """`flow:Mass_Update_Accounts` as a report, a name or a Setup sentence may spell it."""
    bare = wanted.split(":", 1)[-1]
    return {text.lower() for text in (wanted, bare, bare.replace("_", " "))}


def _names(consumer: Consumer, wanted: str) -> bool:
    if (consumer.automation or "").lower() == wanted.lower():
        return True
    name = consumer.name.lower()
    return any(spelling in name for spelling in _spellings(wanted))


def _touches(change: SetupChange, wanted: str) -> bool:
    if (change.automation or "").lower() == wanted.lower():
        return True
    display = change.display.lower()
    return any(spelling in display for spelling in _spellings(wanted))


@dataclass(frozen=True)
class CriticalRow:
    """The check row that sent a connection's first critical alert: its suspects."""

    suspects: Suspects | None = None


def attribution_in_layer() -> bool:
    """Whether the monitor gathers suspects at all: the layer has its attribution package
    (the field on the report alone can come before anything fills it)."""
    return importlib.util.find_spec("apibrake.attribution") is not None


def gathers_suspects(checks: Iterable[Recorded]) -> bool:
    """Some check of the run carried suspects: attribution ran."""
    return any(
        row.get("suspects") is not None
        for record in checks
        for row in record.report.get("connections", [])
    )


def judge(culprit: Culprit, row: CriticalRow | None, *, gathering: bool) -> Named:
    """One connection's verdict; `row` None: no critical alert was sent; `gathering`: the
    monitor gathers suspects, so an alert without them named nobody."""
    suspects = row.suspects if row is not None else None
    if suspects is not None:
        verdict = _named(culprit, suspects)
        # Naming what no source can know is a bonus; missing it is no fault.
        return Named.NOT_APPLICABLE if verdict is Named.NO and not culprit.knowable else verdict
    if row is None or not culprit.knowable:
        return Named.NOT_APPLICABLE  # no critical alert to judge, or nothing to know
    return Named.NO if gathering else Named.UNKNOWN


def _named(culprit: Culprit, suspects: Suspects) -> Named:
    top = suspects.top
    if top is None or not any(_names(top, wanted) for wanted in culprit.consumer):
        return Named.NO
    if culprit.change is None or any(_touches(c, culprit.change) for c in suspects.changes):
        return Named.YES
    return Named.TOP_ONLY


def first_critical(checks: Iterable[Recorded], connection_id: str) -> CriticalRow | None:
    for record in checks:
        for row in record.report.get("connections", []):
            if row.get("connection_id") != connection_id or not _critical(row):
                continue
            raw: Any = row.get("suspects")
            return CriticalRow(None if raw is None else Suspects.model_validate(raw))
    return None


def _critical(row: dict[str, Any]) -> bool:
    return any(str(key).startswith(CRITICAL_KEYS) for key in row.get("alerts_sent", []))


_WORST_FIRST = (Named.NO, Named.TOP_ONLY, Named.UNKNOWN, Named.YES, Named.NOT_APPLICABLE)


@dataclass(frozen=True)
class Verdict:
    named: Named  # the worst over the scenario's culprits
    tops: tuple[str, ...] = ()  # who each critical alert named first, for the record


def attribution(
    checks: Sequence[Recorded], culprits: Sequence[Culprit], *, in_layer: bool = False
) -> Verdict:
    """`in_layer`: the monitor gathers suspects (attribution_in_layer()), even where no
    check of this run carried any."""
    gathering = in_layer or gathers_suspects(checks)
    verdicts, tops = [], []
    for culprit in culprits:
        row = first_critical(checks, culprit.connection_id)
        verdicts.append(judge(culprit, row, gathering=gathering))
        top = row.suspects.top if row is not None and row.suspects is not None else None
        if top is not None:
            tops.append(f"{culprit.connection_id}: {top.name}")
    return Verdict(min(verdicts, key=_WORST_FIRST.index, default=Named.NOT_APPLICABLE), tuple(tops))
