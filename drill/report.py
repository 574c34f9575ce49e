"""The drill's report folder: a chart of usage over time, a markdown summary, the raw result.

`usage.png` shows each connection's usage with its warn and brake thresholds and marks every
alert, brake and release; `summary.md` is the timeline, who burned the calls (the suspects the
critical alert named, and the brake and release reports' before and after) and the
before/after table of every braked automation; `result.json` is the DrillResult as data.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display, no GUI toolkit

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
from matplotlib.axes import Axes

from apibrake.models.attribution import Suspects
from apibrake.models.automation_text import state_text, with_label
from apibrake.models.connection import Connection
from apibrake.warn import wording
from apibrake.warn.chain import MAX_SHOWN, driver_text, short, with_verdict
from drill.engine import DrillResult, Event
from drill.scenarios import DrillScenario

DEFAULT_ROOT = Path("drill-report")
MARKERS = {"alert": ("v", "tab:orange"), "brake": ("s", "tab:red"), "release": ("^", "tab:green")}
SEVERITY_COLOURS = {"info": "tab:blue", "warning": "tab:orange", "critical": "tab:red"}


@dataclass(frozen=True)
class Thresholds:
    warn_at: tuple[float, ...]
    brake_at: float


def scenario_thresholds(scenario: DrillScenario) -> dict[str, Thresholds]:
    """connection_id -> thresholds, as the scenario's connection items set them."""
    found = {}
    watched = {"sf-prod": ("salesforce", scenario.salesforce)}
    watched["hs-portal"] = ("hubspot", scenario.hubspot)  # the ids DrillScenario.set_up uses
    for connection_id, (platform, item) in watched.items():
        if item is None:
            continue
        connection = Connection.model_validate(
            {"connection_id": connection_id, "platform": platform, "secret_id": "-", **item}
        )
        found[connection_id] = Thresholds(tuple(connection.warn_at), connection.brake_at)
    return found


def default_folder(scenario: str, now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    return DEFAULT_ROOT / f"{scenario}-{stamp}"


def write_report(result: DrillResult, folder: Path, thresholds: Mapping[str, Thresholds]) -> Path:
    """Writes usage.png, summary.md and result.json into `folder` (created); returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    write_chart(result, folder / "usage.png", thresholds)
    (folder / "summary.md").write_text(summary_markdown(result, thresholds), encoding="utf-8")
    raw = json.dumps(asdict(result), indent=2, default=_json_default)
    (folder / "result.json").write_text(raw + "\n", encoding="utf-8")
    return folder


# The chart ----------------------------------------------------------------------------------


def write_chart(result: DrillResult, path: Path, thresholds: Mapping[str, Thresholds]) -> None:
    connections = sorted({sample.connection_id for sample in result.samples} | set(thresholds))
    figure, axes_list = plt.subplots(
        len(connections), 1, figsize=(12, 3.6 * len(connections)), sharex=True, squeeze=False
    )
    try:
        for axes, connection_id in zip(axes_list[:, 0], connections, strict=True):
            _plot_connection(axes, result, connection_id, thresholds.get(connection_id))
        axes_list[-1, 0].set_xlabel("simulated time (UTC)")
        figure.suptitle(f"apibrake drill: {result.scenario}", fontsize=13)
        figure.tight_layout()
        figure.savefig(path, dpi=110)
    finally:
        plt.close(figure)


def _plot_connection(
    axes: Axes, result: DrillResult, connection_id: str, thresholds: Thresholds | None
) -> None:
    samples = [s for s in result.samples if s.connection_id == connection_id]
    times = [s.at for s in samples]
    axes.plot(times, [s.percent for s in samples], color="tab:blue", lw=1.8, label="usage")
    if thresholds is not None:
        for warn in thresholds.warn_at:
            axes.axhline(warn, color="tab:orange", ls="--", lw=1, label=f"warn {warn:g} %")
        brake = thresholds.brake_at
        axes.axhline(brake, color="tab:red", ls="--", lw=1.2, label=f"brake {brake:g} %")
    axes.axhline(100, color="black", lw=0.8, alpha=0.4)
    events = _events_for(result, connection_id)
    top = 105.0
    counterfactual = without_apibrake(samples, events)
    if counterfactual is not None:
        (start, start_percent), (hit, _) = counterfactual
        axes.plot(
            [start, hit],
            [start_percent, 100],
            color="dimgray",
            ls="--",
            lw=1.5,
            label="without apibrake (pre-brake rate)",
        )
        axes.plot([hit], [100], marker="x", color="dimgray", markersize=9, ls="none")
        axes.annotate(
            f"100 % at {hit:%a %H:%M}\nwithout apibrake",
            (_num(hit), 100),
            xytext=(8, -4),
            textcoords="offset points",
            ha="left",
            va="top",
            fontsize=8,
            color="dimgray",
            bbox=LABEL_BOX,
        )
    middle = (_num(times[0]) + _num(times[-1])) / 2 if times else 0.0
    for at, before, after in resets(samples):
        axes.axvline(_num(at), color="tab:purple", ls=":", lw=1.2, label="reset")
        right_half = _num(at) > middle  # the label on the side with room
        axes.annotate(
            f"reset {at:%a %H:%M}\n{before:.0f} % → {after:.0f} %",
            (_num(at), (before + after) / 2),
            xytext=(-5 if right_half else 5, 0),
            textcoords="offset points",
            ha="right" if right_half else "left",
            va="center",
            fontsize=8,
            color="tab:purple",
            bbox=LABEL_BOX,
        )
    placed: list[tuple[float, float]] = []
    span = _span(times, counterfactual)
    for event in events:
        marker, colour = MARKERS.get(event.kind, ("o", "grey"))
        if event.kind == "alert":
            colour = SEVERITY_COLOURS.get(event.severity, colour)
        if event.kind in ("brake", "release"):
            axes.axvline(event.at, color=colour, lw=1, alpha=0.6)  # type: ignore[arg-type]
        x = _num(event.at)
        y = free_spot(placed, x, _percent_at(samples, event.at), span * MARKER_WIDTH)
        top = max(top, y + 3)
        axes.plot(
            [event.at],
            [y],
            marker=marker,
            color=colour,
            markersize=9 if event.kind != "alert" else 7,
            markeredgecolor="white",
            zorder=4 if event.kind != "alert" else 3,  # brake and release on top
            ls="none",
            label=_legend_label(event),
        )
    axes.set_title(connection_id, loc="left", fontsize=11)
    axes.set_ylabel("% of daily limit")
    axes.set_ylim(0, top)
    axes.grid(alpha=0.3)
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%a %H:%M", tz=UTC))  # type: ignore[no-untyped-call]
    handles, labels = axes.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))  # one legend entry per label
    axes.legend(
        unique.values(), unique.keys(), loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8
    )


# A marker is about this share of the time axis wide, and MARKER_HEIGHT % of the limit tall:
# one closer than that to another is moved up until it no longer covers it.
MARKER_WIDTH = 0.012
MARKER_HEIGHT = 4.0
LABEL_BOX = {"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85}
RESET_DROP = 15.0  # a fall of this many points between two checks is a reset
RATE_WINDOW = timedelta(hours=1)  # the pre-brake rate: the slope over the hour before
MAX_COUNTERFACTUAL = timedelta(days=2)


def _num(moment: datetime) -> float:
    return float(mdates.date2num(moment))  # type: ignore[no-untyped-call]


def free_spot(placed: list[tuple[float, float]], x: float, y: float, width: float) -> float:
    """`y`, or higher until a marker at (x, y) covers none already `placed`; records it."""
    while any(abs(x - px) < width and abs(y - py) < MARKER_HEIGHT for px, py in placed):
        y += MARKER_HEIGHT
    placed.append((x, y))
    return y


def _span(times: list[datetime], counterfactual: Any) -> float:
    moments = [_num(t) for t in times]
    if counterfactual is not None:
        moments.append(_num(counterfactual[1][0]))
    return (max(moments) - min(moments)) if len(moments) > 1 else 1.0


def without_apibrake(
    samples: list[Any], events: list[Event]
) -> tuple[tuple[datetime, float], tuple[datetime, float]] | None:
    """The counterfactual: from the first brake, the burn at its pre-brake rate (the slope
    of usage over the hour before) until it would have hit 100 %; None when nothing was
    braked, usage was not climbing or already at 100 %."""
    brake = next((e.at for e in events if e.kind == "brake"), None)
    if brake is None:
        return None
    before = [s for s in samples if brake - RATE_WINDOW <= s.at <= brake]
    if len(before) < 2 or before[-1].at <= before[0].at:
        return None
    hours = (before[-1].at - before[0].at).total_seconds() / 3600
    rate = (before[-1].percent - before[0].percent) / hours  # % per hour
    start = before[-1].percent
    if rate <= 0 or start >= 100:
        return None
    to_full = timedelta(hours=(100 - start) / rate)
    if to_full > MAX_COUNTERFACTUAL:
        return None
    return (brake, start), (brake + to_full, 100.0)


def resets(samples: list[Any]) -> list[tuple[datetime, float, float]]:
    """Each reset: when usage fell sharply between two checks, from and to what."""
    found = []
    for previous, sample in itertools.pairwise(samples):
        if previous.percent - sample.percent >= RESET_DROP:
            found.append((sample.at, previous.percent, sample.percent))
    return found


def _events_for(result: DrillResult, connection_id: str) -> list[Event]:
    # Brake and release reports may span connections ("sf-prod, hs-portal").
    return [e for e in result.events if connection_id in e.connection_id.split(", ")]


def _percent_at(samples: list[Any], moment: datetime) -> float:
    before = [s.percent for s in samples if s.at <= moment]
    return before[-1] if before else 0.0


def _legend_label(event: Event) -> str:
    if event.kind == "alert":
        return f"{event.severity or 'alert'} alert"
    return event.kind


# The summary --------------------------------------------------------------------------------


def summary_markdown(result: DrillResult, thresholds: Mapping[str, Thresholds]) -> str:
    lines = [f"# Drill report: {result.scenario}", ""]
    if result.samples:
        first, last = result.samples[0].at, result.samples[-1].at
        lines += [f"Simulated {_when(first)} to {_when(last)} (UTC).", ""]
    lines += ["![usage over time](usage.png)", "", "## Peak usage", ""]
    lines += ["| connection | peak | warn at | brake at |", "|---|---|---|---|"]
    for connection_id in sorted({s.connection_id for s in result.samples}):
        peak = max(s.percent for s in result.samples if s.connection_id == connection_id)
        limits = thresholds.get(connection_id)
        warn = ", ".join(f"{w:g} %" for w in limits.warn_at) if limits else "-"
        brake = f"{limits.brake_at:g} %" if limits else "-"
        lines.append(f"| {connection_id} | {peak:.1f} % | {warn} | {brake} |")
    lines += ["", "## Timeline", "", "| time | event | connection | what |", "|---|---|---|---|"]
    for event in result.events:
        kind = f"{event.kind} ({event.severity})" if event.severity else event.kind
        lines.append(
            f"| {_when(event.at)} | {kind} | {event.connection_id} | {_cell(event.text)} |"
        )
    if not result.events:
        lines.append("| - | nothing happened | - | - |")
    lines += _chain(result)
    lines += _critical_alert(result)
    lines += _suspects(result)
    lines += ["", "## Automations braked and released", ""]
    lines += _automation_table(result)
    return "\n".join(lines) + "\n"


def first_critical(result: DrillResult) -> Event | None:
    """The first critical alert, preferring one whose suspects tell a chain (a consumer or a
    driver), then one whose check row carried suspects at all."""
    critical = [e for e in result.events if e.kind == "alert" and e.severity == "critical"]
    told = [e for e in critical if e.chain and (e.chain.get("consumers") or e.chain.get("drivers"))]
    return next(iter(told + [e for e in critical if e.chain] + critical), None)


def chain_lines(suspects: Suspects) -> list[str]:
    """consumer → drivers: who spends the calls, and what makes it spend them."""
    consumers = suspects.consumers[:MAX_SHOWN]
    if not consumers:
        lines = ["- Consumer: no source ranked the consumers."]
    else:
        top = consumers[0]
        lines = [f"- Consumer (spends the calls): {with_verdict(short(top), top)}"]
        lines += [f"  - then {with_verdict(short(c), c)}" for c in consumers[1:]]
        if len(suspects.consumers) > len(consumers):
            lines.append(f"  - +{len(suspects.consumers) - len(consumers)} more")
    drivers = suspects.drivers[:MAX_SHOWN]
    if not drivers:
        lines.append("- → Drivers: none named (it calls on its own, or no source saw one).")
        return lines
    lines.append("- → Drivers (what changed the records it reads):")
    lines += [f"  - {with_verdict(driver_text(d), d)}" for d in drivers]
    if len(suspects.drivers) > len(drivers):
        lines.append(f"  - +{len(suspects.drivers) - len(drivers)} more")
    return lines


def _chain(result: DrillResult) -> list[str]:
    """Per connection, the chain its first critical alert told: consumer → drivers."""
    firsts: dict[str, Event] = {}
    for event in result.events:
        if event.kind == "alert" and event.severity == "critical" and event.chain:
            firsts.setdefault(event.connection_id, event)
    if not firsts:
        return []
    lines = ["", "## The chain: who spends the calls, and what drives it", ""]
    for connection_id, event in sorted(firsts.items()):
        suspects = Suspects.model_validate(event.chain)
        lines += [f"**{connection_id}**, at its first critical alert ({_when(event.at)}):", ""]
        lines += [*chain_lines(suspects), ""]
    return lines


def _critical_alert(result: DrillResult) -> list[str]:
    """The critical alert as a person receives it: the whole email, then the SMS."""
    event = first_critical(result)
    if event is None or not event.email:
        return []
    lines = ["", "## The critical alert as delivered", ""]
    lines += [f"Email ({event.connection_id}, {_when(event.at)}): {_cell(event.text)}", ""]
    lines += ["```", event.email.strip(), "```", ""]
    if event.sms:
        lines += [f"SMS ({len(event.sms)} characters):", "", "```", event.sms, "```"]
    return lines


def _suspects(result: DrillResult) -> list[str]:
    """Per connection, the suspects its first critical alert named, then each braked
    connection's story: who burned the calls before the brake and since it."""
    lines = ["", "## Who burned the calls", ""]
    firsts: dict[str, Event] = {}
    for event in result.events:
        if event.kind == "alert" and event.severity == "critical" and event.suspects:
            firsts.setdefault(event.connection_id, event)
    for connection_id, event in sorted(firsts.items()):
        lines += [
            f"{connection_id}: its first critical alert ({_when(event.at)}) said:",
            "",
            "```",
            event.suspects,
            "```",
            "",
        ]
    stories = _stories(result)
    for connection_id, story in stories.items():
        lines += [f"{connection_id}, from the brake and release reports:", "", "```", story, "```"]
        lines.append("")
    if not firsts and not stories:
        lines.append("No attribution source named a suspect in this drill.")
    return lines


def _stories(result: DrillResult) -> dict[str, str]:
    """connection_id -> the before/after story, aged as of the report that told it."""
    at = {kind: [e.at for e in result.events if e.kind == kind] for kind in ("brake", "release")}
    before: dict[str, tuple[Suspects, datetime]] = {}
    after: dict[str, tuple[Suspects, datetime]] = {}
    for told, kind, reports, key in (
        (before, "brake", result.brake_reports, "suspects_before"),
        (after, "release", result.release_reports, "suspects_after"),
    ):
        for report, moment in zip(reports, at[kind], strict=False):
            for cid, data in report.get(key, {}).items():
                if kind == "release" or cid not in told:  # the first brake, the last release
                    told[cid] = (Suspects.model_validate(data), moment)
    stories = {}
    for cid in sorted(before.keys() | after.keys()):
        was, since = before.get(cid), after.get(cid)
        story = wording.story(
            was[0] if was else None,
            since[0] if since else None,
            now=since[1] if since else was[1] if was else result_end(result),
            braked_at=was[1] if was else None,
        )
        if story:
            stories[cid] = story
    return stories


def result_end(result: DrillResult) -> datetime:
    return result.samples[-1].at if result.samples else datetime.now(UTC)


def _automation_table(result: DrillResult) -> list[str]:
    released = {
        _key(row): row for report in result.release_reports for row in report.get("rows", [])
    }
    rows = [row for report in result.brake_reports for row in report.get("rows", [])]
    if not rows:
        return ["No automation was braked."]
    lines = [
        "| automation | before the brake | after the brake | brake | after release | release |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        back = released.get(_key(row), {})
        automation = with_label(f"{row['kind']}:{row['name']}", row.get("label"))
        lines.append(
            f"| {_cell(row['connection_id'] + ' ' + automation)} | {_state(row.get('before'))} "
            f"| {_state(row.get('after'))} | {row['status']} | {_state(back.get('after'))} "
            f"| {back.get('status', 'not yet')} |"
        )
    return lines


def _key(row: Mapping[str, Any]) -> tuple[str, str, str]:
    return (row["connection_id"], row["kind"], row["name"])


def _state(value: Mapping[str, Any] | None) -> str:
    return _cell(state_text(value))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%a %Y-%m-%d %H:%M")


def _json_default(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
