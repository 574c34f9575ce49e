"""Scores one scenario from what was recorded while it ran (pure: see run.py for the run)."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from drill.score.attribution import Named, attribution
from drill.score.measures import (
    NextWindow,
    PastBrakeAt,
    Trace,
    brake_runs,
    landings,
    minutes_to_first_alert,
    next_window,
    past_brake_at,
    watch_calls_per_day,
)
from drill.score.recorder import Recording
from drill.score.scenarios import ScoreScenario
from drill.score.tail import ConsumerTrace, Tail, first_release, tail_after

DEFAULT_BRAKE_AT = 90.0


@dataclass
class ScenarioScore:
    number: int
    key: str
    title: str
    containable: bool
    contained: bool  # no call refused on any platform, and every brake landed in time
    braked_before_refusal: bool | None  # None: the brake threshold was never crossed
    peak_percent: float
    calls_before_brake: int | None  # burned between crossing brake_at and the brake landing
    minutes_to_brake: float | None
    apibrake_calls: int  # watch + brake + release
    alerts: dict[str, int]  # severity -> count
    release_exact: bool | None  # None: nothing was braked, or nothing released
    oscillations: int  # brake/release cycles after the first
    critical_alerts: list[str] = field(default_factory=list)  # subjects
    critical_text_ok: bool | None = None  # unwinnable scenarios: the alerts say so
    notes: list[str] = field(default_factory=list)
    brake_expected: bool = True  # False: usage stays below brake_at on its own
    # calls_before_brake as % of that connection's daily limit (the worst connection)
    limit_percent_before_brake: float | None = None
    false_brakes: int = 0  # brake runs in a scenario where no brake was due
    watch_calls_per_day: float = 0.0  # the monitor's calls, busiest connection, per day
    minutes_to_first_alert: float | None = None  # from the burn's start; None: no burn/alert
    # The chain (drill/score/attribution.py): the true spender is the critical alert's top
    # consumer; the true culprit automation is among its drivers.
    consumer_named: str = Named.NOT_APPLICABLE.value
    driver_named: str = Named.NOT_APPLICABLE.value
    attribution_named: list[str] = field(default_factory=list)  # who critical alerts named
    drivers_named: list[str] = field(default_factory=list)  # the drivers they named
    calm_day: bool = False
    brake_at: float = DEFAULT_BRAKE_AT  # the lowest brake_at of its connections
    # The tail (drill/score/tail.py), worst connection: calls the consumers spent after the
    # brake landed, as % of the daily limit, and minutes to the flat line (None: no brake;
    # `tail_still_burning`: spending until the release or the run's end).
    tail_calls: int | None = None
    tail_percent: float | None = None
    minutes_to_flat: float | None = None
    tail_still_burning: bool = False
    # Issue 25: automations a release put back that a later brake had to stop again, and
    # the drivers the release holds at its last run (unchanged since the brake).
    repeat_runaways: int = 0
    held: int = 0
    # Issue 23: once an exhausted org is served again, usage stays under 100 % for the rest
    # of the run (measures.NextWindow: yes, no, still refused, n/a).
    next_window_protected: str = NextWindow.NOT_APPLICABLE.value
    protects_next_window: bool = False  # the scenario expects it (ScoreScenario's)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def brake_thresholds(scenario: ScoreScenario) -> dict[str, float]:
    drill = scenario.drill
    return {
        "sf-prod": float((drill.salesforce or {}).get("brake_at", DEFAULT_BRAKE_AT)),
        "hs-portal": float((drill.hubspot or {}).get("brake_at", DEFAULT_BRAKE_AT)),
    }


@dataclass
class _Braking:
    """Over the connections: did each brake land in time, and what burned past brake_at."""

    in_time: list[bool] = field(default_factory=list)
    past: list[PastBrakeAt] = field(default_factory=list)
    oscillations: int = 0
    notes: list[str] = field(default_factory=list)


def _braking(
    trace: Trace,
    recording: Recording,
    brake_at: dict[str, float],
    refused: dict[str, datetime | None],
) -> _Braking:
    result = _Braking()
    for cid in sorted(trace.samples):
        crossed = trace.first(cid, brake_at[cid])
        landed_at = landings(recording.brakes, cid)
        result.oscillations += max(len(landed_at) - 1, 0)
        if crossed is None:
            if landed_at:  # braked ahead, and usage never reached brake_at afterwards
                first_refusal = refused[cid]
                result.in_time.append(first_refusal is None or landed_at[0] < first_refusal)
                result.past.append(PastBrakeAt(0, 0.0, 0.0))
            continue
        if not landed_at:
            result.in_time.append(False)
            result.notes.append(f"{cid}: crossed brake_at, never braked")
            continue
        # The first landing counts, even one ahead of the threshold (brake-ahead).
        landed, first_refusal = landed_at[0], refused[cid]
        result.in_time.append(first_refusal is None or landed < first_refusal)
        result.past.append(past_brake_at(trace, cid, brake_at[cid], crossed, landed))
    return result


def _tails(
    trace: Trace, consumers: ConsumerTrace, recording: Recording, watched: list[str]
) -> list[tuple[Tail, int]]:
    tails = []
    for cid in watched:
        landed_at = landings(recording.brakes, cid)
        samples = consumers.samples.get(cid, [])
        if not landed_at or not samples:
            continue
        released = first_release(recording.releases, landed_at[0])
        until = released or samples[-1][0]
        tails.append((tail_after(samples, landed_at[0], until), trace.limit(cid)))
    return tails


def _tail_columns(tails: list[tuple[Tail, int]]) -> dict[str, Any]:
    """The worst connection's tail: the most calls as % of its limit, the longest."""
    if not tails:
        return {}
    worst, limit = max(tails, key=lambda pair: pair[0].calls / pair[1] if pair[1] else 0)
    still = [tail for tail, _ in tails if tail.minutes_to_flat is None]
    flat = [tail.minutes_to_flat for tail, _ in tails if tail.minutes_to_flat is not None]
    return {
        "tail_calls": worst.calls,
        "tail_percent": round(worst.calls / limit * 100, 2) if limit else None,
        "minutes_to_flat": None if still or not flat else round(max(flat), 1),
        "tail_still_burning": bool(still),
    }


def _release_exact(
    scenario: ScoreScenario, recording: Recording, end_state: dict[str, Any], watched: list[str]
) -> bool | None:
    braked = any(landings(recording.brakes, cid) for cid in watched)
    if recording.state_before_brake is None or not braked:
        return None
    released = any(  # the release ran: it put rows back, or held drivers on purpose
        row["status"] in ("released", "held")
        for record in recording.releases
        for row in record.report.get("rows", [])
    )
    if not released and not scenario.containable:
        return None  # the window never recovered: nothing to put back yet
    held = _held(recording)
    after = _state_after_release(recording) or end_state
    return released and _without(after, held) == _without(recording.state_before_brake, held)


def _state_after_release(recording: Recording) -> dict[str, Any] | None:
    """The automations right after the last release that put rows back, when a brake
    landed after it (a repeat runaway braked again): the end of the run then shows that
    brake, not the release. None: judge the release by the end of the run."""
    putting_back = [
        record
        for record in recording.releases
        if any(row["status"] == "released" for row in record.report.get("rows", []))
    ]
    if not putting_back:
        return None
    last = putting_back[-1]
    braked_later = any(
        brake.at > last.at
        and any(row["status"] == "braked" for row in brake.report.get("rows", []))
        for brake in recording.brakes
    )
    return last.state_after if braked_later else None


def repeat_runaways(recording: Recording) -> int:
    """Brakes that had to stop again what a release had put back, one per connection and
    brake run: the fire restarted (a driver released unchanged). The collateral braked
    again beside it is part of the same repeat."""
    runs = sorted(
        [(r.at, "release", r.report) for r in recording.releases]
        + [(b.at, "brake", b.report) for b in recording.brakes],
        key=lambda run: run[0],
    )
    released: set[tuple[str, str, str]] = set()
    repeats = 0
    for _, action, report in runs:
        again: set[str] = set()
        for row in report.get("rows", []):
            key = (str(row["connection_id"]), str(row.get("kind")), str(row.get("name")))
            if action == "release" and row["status"] == "released":
                released.add(key)
            elif action == "brake" and row["status"] == "braked" and key in released:
                again.add(key[0])
        repeats += len(again)
    return repeats


# A held row (an unchanged driver the release keeps braked on purpose, release/hold.py) is
# left out of "back exactly": it is reported held, with the command to release it.
_STATE_SECTION = {
    "flow": "flows",
    "scheduled_apex": "jobs",
    "workflow": "workflows",
    "setting": "switches",
    "user": "frozen",
}


def _held(recording: Recording) -> set[tuple[str, str]]:
    """(state section, name) of the rows the release holds at its last run."""
    last: dict[tuple[str, str], str] = {}
    for record in recording.releases:
        for row in record.report.get("rows", []):
            last[(_STATE_SECTION.get(str(row.get("kind")), ""), str(row["name"]))] = row["status"]
    return {key for key, status in last.items() if status == "held"}


def _without(state: dict[str, Any], held: set[tuple[str, str]]) -> dict[str, Any]:
    return {
        section: {k: v for k, v in values.items() if (section, str(k)) not in held}
        for section, values in state.items()
    }


def _critical_text_ok(scenario: ScoreScenario, critical: list[dict[str, Any]]) -> bool | None:
    if not scenario.critical_says:
        return None
    text = " ".join(f"{a['subject']}\n{a['body']}" for a in critical).lower()
    return all(words in text for words in scenario.critical_says)


def _rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _past_brake_at_columns(past: list[PastBrakeAt]) -> dict[str, Any]:
    """The worst connection's burn past brake_at, in calls, minutes and % of its limit."""
    if not past:
        return {"calls_before_brake": None, "minutes_to_brake": None}
    return {
        "calls_before_brake": max(p.calls for p in past),
        "minutes_to_brake": round(max(p.minutes for p in past), 1),
        "limit_percent_before_brake": round(max(p.percent_of_limit for p in past), 2),
    }


def _alert_columns(scenario: ScoreScenario, recording: Recording) -> dict[str, Any]:
    alerts = [record.report for record in recording.received]
    critical = [a for a in alerts if a["severity"] == "critical"]
    return {
        "alerts": dict(Counter(a["severity"] for a in alerts)),
        "critical_alerts": [a["subject"] for a in critical],
        "critical_text_ok": _critical_text_ok(scenario, critical),
    }


def score(
    scenario: ScoreScenario,
    recording: Recording,
    trace: Trace,
    end_state: dict[str, Any],
    burn_start: datetime | None,
    *,
    attribution_in_layer: bool = False,
    consumers: ConsumerTrace | None = None,
) -> ScenarioScore:
    """The scenario's score; `burn_start` None: the scenario has no burn;
    `attribution_in_layer`: the monitor gathers suspects (see attribution.py)."""
    watched = sorted(trace.samples)
    brake_at = brake_thresholds(scenario)
    refused = {cid: trace.first(cid, 100) for cid in watched}
    braking = _braking(trace, recording, brake_at, refused)
    notes = braking.notes + [
        f"{cid}: first refused call at {at:%H:%M} UTC" for cid, at in refused.items() if at
    ]
    in_time = braking.in_time
    verdict = attribution(recording.checks, scenario.culprits, in_layer=attribution_in_layer)
    first_alert = (
        None if burn_start is None else minutes_to_first_alert(recording.checks, burn_start)
    )
    return ScenarioScore(
        number=scenario.number,
        key=scenario.key,
        title=scenario.title,
        containable=scenario.containable,
        contained=bool(in_time) and all(in_time) and not any(refused.values()),
        braked_before_refusal=all(in_time) if in_time else None,
        next_window_protected=next_window(trace).value,
        protects_next_window=scenario.protects_next_window,
        peak_percent=round(trace.peak_percent(), 1),
        apibrake_calls=apibrake_calls(recording),
        release_exact=_release_exact(scenario, recording, end_state, watched),
        repeat_runaways=repeat_runaways(recording),
        held=len(_held(recording)),
        oscillations=braking.oscillations,
        notes=notes,
        brake_expected=scenario.brake_expected,
        false_brakes=0 if scenario.brake_expected else brake_runs(recording.brakes),
        watch_calls_per_day=round(
            watch_calls_per_day(recording.checks, watched, timedelta(hours=scenario.hours)), 1
        ),
        minutes_to_first_alert=_rounded(first_alert),
        consumer_named=verdict.consumer.value,
        driver_named=verdict.driver.value,
        attribution_named=list(verdict.tops),
        drivers_named=list(verdict.drivers),
        calm_day=scenario.calm_day,
        brake_at=min((brake_at[cid] for cid in watched), default=DEFAULT_BRAKE_AT),
        **_past_brake_at_columns(braking.past),
        **_tail_columns(_tails(trace, consumers or ConsumerTrace(), recording, watched)),
        **_alert_columns(scenario, recording),
    )


def apibrake_calls(recording: Recording) -> int:
    """What watch, brake and release spent themselves."""
    watch: int = sum(
        row.get("api_calls", 0) + row.get("auth_calls", 0)
        for record in recording.checks
        for row in record.report.get("connections", [])
    )
    act: int = sum(
        sum(record.report.get("api_calls", {}).values())
        for record in (*recording.brakes, *recording.releases)
    )
    return watch + act
