"""Does the critical alert tell the true chain (issues 12 and 20): the consumer that spends
the calls, and the driver behind it?

Each scenario declares, per connection, its true spender (the HubSpot connector, an ETL's
app or user, HubSpot's private apps for a workflow's custom code) and, where an
automation drives that spender, the automation (an allowlist key such as
`flow:Account_Rollup_Hourly`) and the objects whose records it changes. The monitor's
check row that sent the first critical alert carries the `Suspects` the alert showed:

- "consumer named": the alert's top consumer is the true spender;
- "driver named": the culprit automation is among `suspects.drivers` ("records only" when
  only its objects' record changes are, "n/a" when the scenario has no driver, e.g. an
  external ETL).

Where the monitor does not gather suspects yet (no attribution package in the layer, and
no check of the run carried any), the answer is unknown, never a guess; once it does, an
alert without suspects is one that named nobody.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from apibrake.models.attribution import Consumer, Driver, DriverKind, Suspects
from drill.score.recorder import Recorded

CRITICAL_KEYS = ("brake:", "limit:", "outside_reach")  # warn/rules.py: the critical alerts


@dataclass(frozen=True)
class Culprit:
    """Who really spends a connection's calls in a scenario, and what drives it."""

    connection_id: str
    consumer: tuple[str, ...]  # the spender's names (app, user, app type); any counts
    drivers: tuple[str, ...] = ()  # allowlist keys of the automations behind it; () none
    records: tuple[str, ...] = ()  # the objects the drivers change (a partial answer)
    # False where no source can name it (HubSpot has no per-app or per-workflow usage API;
    # no file covers a burn that started today): the cell then says n/a on a miss instead
    # of blaming attribution for what the platform does not tell.
    knowable: bool = True  # the consumer
    drivers_knowable: bool = True


class Named(StrEnum):
    YES = "yes"
    RECORDS_ONLY = "records only"  # driver: its objects' record changes, not the automation
    NO = "no"
    UNKNOWN = "-"  # no suspects on the critical alert's row: attribution did not run
    NOT_APPLICABLE = "n/a"  # nothing to name, no critical alert, or no source can know it


def _spellings(wanted: str) -> set[str]:
    """`flow:Mass_Update_Accounts` as a report, a name or a Setup sentence may spell it."""
    bare = wanted.split(":", 1)[-1]
    return {text.lower() for text in (wanted, bare, bare.replace("_", " "))}


def _spelled(text: str, wanted: str) -> bool:
    return any(spelling in text.lower() for spelling in _spellings(wanted))


def _names(consumer: Consumer, wanted: str) -> bool:
    if (consumer.automation or "").lower() == wanted.lower():
        return True
    return any(_spelled(name, wanted) for name in (consumer.name, *consumer.identities))


def _drives(driver: Driver, wanted: str) -> bool:
    if (driver.automation or "").lower() == wanted.lower():
        return True
    return driver.kind is not DriverKind.RECORD_CHANGES and _spelled(driver.name, wanted)


def _changes_records(driver: Driver, sobject: str) -> bool:
    return driver.kind is DriverKind.RECORD_CHANGES and driver.name.lower().startswith(
        f"{sobject.lower()} "
    )


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


def consumer_named(suspects: Suspects, culprit: Culprit) -> Named:
    top = suspects.top
    return Named.YES if top and any(_names(top, w) for w in culprit.consumer) else Named.NO


def driver_named(suspects: Suspects, culprit: Culprit) -> Named:
    if not culprit.drivers:
        return Named.NOT_APPLICABLE
    if any(_drives(d, w) for d in suspects.drivers for w in culprit.drivers):
        return Named.YES
    if any(_changes_records(d, o) for d in suspects.drivers for o in culprit.records):
        return Named.RECORDS_ONLY
    return Named.NO


@dataclass(frozen=True)
class Judged:
    consumer: Named
    driver: Named


def judge(culprit: Culprit, row: CriticalRow | None, *, gathering: bool) -> Judged:
    """One connection's verdicts; `row` None: no critical alert was sent; `gathering`: the
    monitor gathers suspects, so an alert without them named nobody."""
    suspects = row.suspects if row is not None else None
    no_driver = not culprit.drivers
    if suspects is not None:
        # Naming what no source can know is a bonus; missing it is no fault.
        return Judged(
            _excused(consumer_named(suspects, culprit), culprit.knowable),
            _excused(driver_named(suspects, culprit), culprit.drivers_knowable),
        )
    if row is None:
        return Judged(Named.NOT_APPLICABLE, Named.NOT_APPLICABLE)  # no critical alert
    missing = Named.NO if gathering else Named.UNKNOWN
    return Judged(
        missing if culprit.knowable else Named.NOT_APPLICABLE,
        missing if culprit.drivers_knowable and not no_driver else Named.NOT_APPLICABLE,
    )


def _excused(verdict: Named, knowable: bool) -> Named:
    return Named.NOT_APPLICABLE if verdict is Named.NO and not knowable else verdict


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


_WORST_FIRST = (Named.NO, Named.UNKNOWN, Named.RECORDS_ONLY, Named.YES, Named.NOT_APPLICABLE)


def worst(verdicts: Iterable[Named]) -> Named:
    return min(verdicts, key=_WORST_FIRST.index, default=Named.NOT_APPLICABLE)


@dataclass(frozen=True)
class Verdict:
    consumer: Named  # the worst over the scenario's culprits
    driver: Named
    tops: tuple[str, ...] = ()  # who each critical alert named first, for the record
    drivers: tuple[str, ...] = ()  # the drivers each critical alert named, for the record


def attribution(
    checks: Sequence[Recorded], culprits: Sequence[Culprit], *, in_layer: bool = False
) -> Verdict:
    """`in_layer`: the monitor gathers suspects (attribution_in_layer()), even where no
    check of this run carried any."""
    gathering = in_layer or gathers_suspects(checks)
    judged, tops, drivers = [], [], []
    for culprit in culprits:
        row = first_critical(checks, culprit.connection_id)
        judged.append(judge(culprit, row, gathering=gathering))
        suspects = row.suspects if row is not None else None
        if suspects is not None and suspects.top is not None:
            tops.append(f"{culprit.connection_id}: {suspects.top.name}")
        if suspects is not None and suspects.drivers:
            names = ", ".join(d.name for d in suspects.drivers)
            drivers.append(f"{culprit.connection_id}: {names}")
    return Verdict(
        worst(j.consumer for j in judged),
        worst(j.driver for j in judged),
        tuple(tops),
        tuple(drivers),
    )
