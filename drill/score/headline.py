"""The score's headline and its targets (issue 13): every containable runaway contained
with under 0.5 % of the daily limit burned past brake_at, zero false brakes, and at most
100 watch calls per calm day per connection; and (issue 20) at most 1 % of the daily
limit burned after the brake (the tail) in the seed's case. Issue 23 counts the runaways
whose next window was protected once an exhausted org was served again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from drill.score.measures import NextWindow
from drill.score.scorer import ScenarioScore

MAX_PERCENT_PAST_BRAKE_AT = 0.5
MAX_FALSE_BRAKES = 0
MAX_WATCH_CALLS_PER_CALM_DAY = 100
MAX_SEED_TAIL_PERCENT = 1.0
SEED_KEY = "seed-rollups"


@dataclass(frozen=True)
class Target:
    goal: str
    met: bool | None  # None: no scenario of this run measures it
    value: str


@dataclass(frozen=True)
class Headline:
    contained: int
    containable: int  # runaways braking by API can contain
    false_brakes: int | None  # None: no scenario without a due brake ran
    worst_percent_past_brake_at: float | None  # over the containable runaways
    watch_calls_per_calm_day: float | None  # None: no calm-day scenario ran
    unwinnable_alerted: int
    unwinnable: int
    seed_tail_percent: float | None = None  # None: the seed's case did not run
    worst_tail_percent: float | None = None  # over the containable runaways
    # Issue 23: runaways served again after an exhaustion, and those never refused again.
    next_window_protected: int = 0
    served_again: int = 0

    @classmethod
    def of(cls, scores: Sequence[ScenarioScore]) -> Headline:
        runaways = [s for s in scores if s.brake_expected and s.containable]
        unwinnable = [s for s in scores if s.brake_expected and not s.containable]
        no_brake_due = [s for s in scores if not s.brake_expected]
        burned = [
            s.limit_percent_before_brake
            for s in runaways
            if s.limit_percent_before_brake is not None
        ]
        calm = [s.watch_calls_per_day for s in scores if s.calm_day]
        tails = [s.tail_percent for s in runaways if s.tail_percent is not None]
        served = [
            s.next_window_protected
            for s in scores
            if s.brake_expected and s.next_window_protected in (NextWindow.YES, NextWindow.NO)
        ]
        seed = [s.tail_percent for s in scores if s.key == SEED_KEY and s.tail_percent is not None]
        return cls(
            contained=sum(s.contained for s in runaways),
            containable=len(runaways),
            false_brakes=sum(s.false_brakes for s in no_brake_due) if no_brake_due else None,
            worst_percent_past_brake_at=max(burned, default=None),
            watch_calls_per_calm_day=max(calm, default=None),
            unwinnable_alerted=sum(bool(s.critical_text_ok) for s in unwinnable),
            unwinnable=len(unwinnable),
            seed_tail_percent=max(seed, default=None),
            worst_tail_percent=max(tails, default=None),
            next_window_protected=served.count(NextWindow.YES),
            served_again=len(served),
        )

    def targets(self) -> list[Target]:
        worst, calm = self.worst_percent_past_brake_at, self.watch_calls_per_calm_day
        return [
            Target(
                "every containable runaway contained",
                self.contained == self.containable if self.containable else None,
                f"{self.contained} / {self.containable}",
            ),
            Target(
                f"under {MAX_PERCENT_PAST_BRAKE_AT:g} % of the daily limit burned past brake_at",
                None if worst is None else worst < MAX_PERCENT_PAST_BRAKE_AT,
                "-" if worst is None else f"{worst:.2f} %",
            ),
            Target(
                "zero false brakes",
                None if self.false_brakes is None else self.false_brakes <= MAX_FALSE_BRAKES,
                "-" if self.false_brakes is None else str(self.false_brakes),
            ),
            Target(
                f"at most {MAX_WATCH_CALLS_PER_CALM_DAY} watch calls per calm day",
                None if calm is None else calm <= MAX_WATCH_CALLS_PER_CALM_DAY,
                "-" if calm is None else f"{calm:.0f}",
            ),
            Target(
                f"at most {MAX_SEED_TAIL_PERCENT:g} % of the daily limit burned after the brake "
                "in the seed's case",
                None
                if self.seed_tail_percent is None
                else self.seed_tail_percent <= MAX_SEED_TAIL_PERCENT,
                "-" if self.seed_tail_percent is None else f"{self.seed_tail_percent:.2f} %",
            ),
        ]

    def text(self) -> str:
        worst, calm = self.worst_percent_past_brake_at, self.watch_calls_per_calm_day
        tail = self.worst_tail_percent
        return (
            f"contained {self.contained} / {self.containable} containable; "
            f"false brakes {'-' if self.false_brakes is None else self.false_brakes}; "
            "worst burned past brake_at "
            f"{'-' if worst is None else f'{worst:.2f} % of the daily limit'}; "
            f"watch calls per calm day {'-' if calm is None else f'{calm:.0f}'}; "
            "worst tail after the brake "
            f"{'-' if tail is None else f'{tail:.2f} % of the daily limit'}; "
            f"unwinnable scenarios alerted clearly {self.unwinnable_alerted} / {self.unwinnable}; "
            "next window protected after an exhaustion "
            f"{self.next_window_protected} / {self.served_again}"
        )

    def targets_text(self) -> str:
        targets = self.targets()
        met = sum(t.met is True for t in targets)
        verdicts = "; ".join(f"{t.goal}: {_verdict(t)}" for t in targets)
        return f"targets met {met} / {len(targets)}: {verdicts}"

    def to_json(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "text": self.text(),
            "targets": [asdict(target) for target in self.targets()],
        }


def _verdict(target: Target) -> str:
    if target.met is None:
        return "not measured in this run"
    return f"{'met' if target.met else 'NOT met'} ({target.value})"
