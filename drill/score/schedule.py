"""How often the deployed monitor runs: template.yaml's CheckSchedule default, so a score
scenario that declares no interval of its own runs at the cadence users get."""

from __future__ import annotations

import re
from datetime import timedelta
from functools import cache
from pathlib import Path

from localaws.template import TEMPLATE_PATH, load_template

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours)\)$")


def parse_rate(expression: str) -> timedelta:
    """An EventBridge Scheduler `rate(value unit)` as a timedelta (cron is not a fixed
    interval, so the drill cannot replay it tick by tick)."""
    match = _RATE.match(expression.strip())
    if match is None:
        raise ValueError(
            f"CheckSchedule: {expression!r} is not rate(N minutes|hours); the score needs "
            "a fixed interval"
        )
    value, unit = int(match[1]), match[2]
    return timedelta(hours=value) if unit.startswith("hour") else timedelta(minutes=value)


@cache
def template_check_every(template_path: Path = TEMPLATE_PATH) -> timedelta:
    parameter = load_template(template_path)["Parameters"]["CheckSchedule"]
    return parse_rate(str(parameter["Default"]))
