"""Does the critical alert name the true culprit (issue 12)?

Each scenario declares, per connection, who really burns the calls (an allowlist key such
as `flow:Account_Rollup_Hourly`, or an external app's name) and, where a setup change
started the burn, what that change touched. The monitor's check row that sent the first
critical alert carries the `Suspects` the alert showed; the culprit is named when it is
the top consumer, and the change when one of the suspects' changes touched it. A row
without suspects means attribution did not run: the answer is unknown, never a guess.
"""

from __future__ import annotations

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


def judge(culprit: Culprit, suspects: Suspects | None) -> Named:
    """One connection's verdict from the suspects its first critical alert carried."""
    if suspects is None:
        return Named.UNKNOWN if culprit.knowable else Named.NOT_APPLICABLE
    top = suspects.top
    if top is None or not any(_names(top, wanted) for wanted in culprit.consumer):
        return Named.NO if culprit.knowable else Named.NOT_APPLICABLE
    if culprit.change is None or any(_touches(c, culprit.change) for c in suspects.changes):
        return Named.YES
    return Named.TOP_ONLY


def first_critical_suspects(
    checks: Iterable[Recorded], connection_id: str
) -> tuple[bool, Suspects | None]:
    """(a critical alert was sent, the suspects its check row carried)."""
    for record in checks:
        for row in record.report.get("connections", []):
            if row.get("connection_id") != connection_id or not _critical(row):
                continue
            raw: Any = row.get("suspects")
            return True, None if raw is None else Suspects.model_validate(raw)
    return False, None


def _critical(row: dict[str, Any]) -> bool:
    return any(str(key).startswith(CRITICAL_KEYS) for key in row.get("alerts_sent", []))


_WORST_FIRST = (Named.NO, Named.TOP_ONLY, Named.UNKNOWN, Named.YES, Named.NOT_APPLICABLE)


def attribution(checks: Sequence[Recorded], culprits: Sequence[Culprit]) -> Named:
    """The scenario's verdict: the worst over its culprits' connections."""
    verdicts = []
    for culprit in culprits:
        alerted, suspects = first_critical_suspects(checks, culprit.connection_id)
        if not alerted:
            verdicts.append(Named.NO if culprit.knowable else Named.NOT_APPLICABLE)
            continue
        verdicts.append(judge(culprit, suspects))
    return min(verdicts, key=_WORST_FIRST.index, default=Named.NOT_APPLICABLE)
