"""The score as a terminal table, a Markdown page and JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from drill.score.headline import Headline
from drill.score.scenarios import BY_KEY
from drill.score.scorer import ScenarioScore
from drill.score.texts import COLUMNS, HEADLINE_AND_TARGETS, INTRODUCTION

HEADERS = (
    "#",
    "scenario",
    "contained",
    "braked before refusal",
    "next window protected",
    "false brakes",
    "peak %",
    "% of limit brake_at→braked",
    "calls brake_at→braked",
    "min brake_at→braked",
    "min burn→1st alert",
    "tail % of limit",
    "min brake→flat",
    "watch calls/day",
    "apibrake calls",
    "alerts (crit/warn/info)",
    "release exact",
    "repeat runaways",
    "oscillations",
    "consumer named",
    "driver named",
)


def _yes_no(value: bool | None) -> str:
    return "n/a" if value is None else "yes" if value else "no"


def _dash(value: float | None, template: str = "{:g}") -> str:
    return "-" if value is None else template.format(value)


def _flat(score: ScenarioScore) -> str:
    if score.tail_still_burning:
        return "still burning"
    return _dash(score.minutes_to_flat)


def _contained(score: ScenarioScore) -> str:
    if not score.brake_expected:
        return "n/a (no brake due)"
    if score.contained:
        return "yes"
    if not score.containable:
        ok = score.critical_text_ok
        return "no (unwinnable" + (
            "; alerted)" if ok else "; ALERT MISSING)" if ok is False else ")"
        )
    return "NO"


def _repeats(score: ScenarioScore) -> str:
    held = f" ({score.held} held)" if score.held else ""
    return f"{score.repeat_runaways}{held}"


def _cells(score: ScenarioScore) -> tuple[str, ...]:
    alerts = score.alerts
    return (
        str(score.number),
        score.title,
        _contained(score),
        _yes_no(score.braked_before_refusal),
        score.next_window_protected,
        str(score.false_brakes) if not score.brake_expected else "-",
        f"{score.peak_percent:.1f}",
        _dash(score.limit_percent_before_brake, "{:.2f}"),
        _dash(score.calls_before_brake, "{:,}"),
        _dash(score.minutes_to_brake),
        _dash(score.minutes_to_first_alert),
        _dash(score.tail_percent, "{:.2f}"),
        _flat(score),
        f"{score.watch_calls_per_day:.0f}",
        str(score.apibrake_calls),
        f"{alerts.get('critical', 0)}/{alerts.get('warning', 0)}/{alerts.get('info', 0)}",
        _yes_no(score.release_exact),
        _repeats(score),
        str(score.oscillations),
        score.consumer_named,
        score.driver_named,
    )


def summary(scores: Sequence[ScenarioScore]) -> str:
    """The headline and, on a line of its own, the targets and whether they are met."""
    headline = Headline.of(scores)
    return f"{headline.text()}\n{headline.targets_text()}"


def text_table(scores: Sequence[ScenarioScore]) -> str:
    rows = [HEADERS, *(_cells(score) for score in scores)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADERS))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join([*lines, "", summary(scores)])


def markdown_table(scores: Sequence[ScenarioScore]) -> str:
    """The headline, the targets and the table, as docs/score.md carries them."""
    headline = Headline.of(scores)
    targets = [
        f"- {target.goal}: **{_target_cell(target.met)}** ({target.value})"
        for target in headline.targets()
    ]
    head = "| " + " | ".join(HEADERS) + " |"
    rule = "|" + "|".join("---" for _ in HEADERS) + "|"
    body = ["| " + " | ".join(_cells(score)) + " |" for score in scores]
    return "\n".join(
        [f"**{headline.text()}**", "", "Targets:", "", *targets, "", head, rule, *body]
    )


def _target_cell(met: bool | None) -> str:
    return "not measured" if met is None else "met" if met else "not met"


def markdown(scores: Sequence[ScenarioScore]) -> str:
    meanings = [
        f"{score.number}. **{score.title}**: {BY_KEY[score.key].meaning}" for score in scores
    ]
    return "\n".join(
        [
            "# Containment score",
            "",
            INTRODUCTION,
            "",
            markdown_table(scores),
            "",
            "## What each scenario means for you",
            "",
            *meanings,
            "",
            HEADLINE_AND_TARGETS,
            "",
            COLUMNS,
        ]
    )


def as_json(scores: Sequence[ScenarioScore]) -> str:
    headline = Headline.of(scores)
    document: dict[str, Any] = {
        "headline": headline.to_json(),
        # Kept for readers of the first version of this file.
        "summary": {
            "contained": headline.contained,
            "containment_possible": headline.containable,
            "text": headline.text(),
        },
        "scenarios": [score.to_json() for score in scores],
    }
    return json.dumps(document, indent=2, default=str) + "\n"
