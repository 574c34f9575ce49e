"""Salesforce (Quartz) cron expressions: validation and the next fire time.

`Seconds Minutes Hours Day_of_month Month Day_of_week [Year]` with `*`, `?`, lists, ranges,
steps and month/day names. `L`, `W` and `#` are accepted but leave the next fire time unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
_BOUNDS = [(0, 59), (0, 59), (0, 23), (1, 31), (1, 12), (1, 7), (1970, 2099)]
_SEARCH_DAYS = 4 * 366


class CronError(ValueError):
    pass


@dataclass(frozen=True)
class CronSchedule:
    fields: tuple[frozenset[int] | None, ...]  # None: "?" (no specific value)
    exact: bool  # False when L, W or # make the next fire time unknown here

    def next_fire(self, after: datetime, time_zone: str) -> datetime | None:
        """The first fire time strictly after `after`, in UTC."""
        if not self.exact:
            return None
        zone = _zone(time_zone)
        seconds, minutes, hours, days, months, weekdays, years = self.fields
        start = after.astimezone(zone).date()
        for offset in range(_SEARCH_DAYS):
            day = start + timedelta(days=offset)
            if not self._day_matches(day, days, months, weekdays, years):
                continue
            for hour in sorted(hours or ()):
                for minute in sorted(minutes or ()):
                    for second in sorted(seconds or ()):
                        local = datetime.combine(day, time(hour, minute, second), zone)
                        if local > after:
                            return local.astimezone(UTC)
        return None

    @staticmethod
    def _day_matches(
        day: date,
        days: frozenset[int] | None,
        months: frozenset[int] | None,
        weekdays: frozenset[int] | None,
        years: frozenset[int] | None,
    ) -> bool:
        quartz_weekday = (day.weekday() + 1) % 7 + 1  # 1 = Sunday
        return (
            (months is None or day.month in months)
            and (years is None or day.year in years)
            and (days is None or day.day in days)
            and (weekdays is None or quartz_weekday in weekdays)
        )


def parse(expression: str) -> CronSchedule:
    parts = expression.split()
    if len(parts) not in (6, 7):
        raise CronError("Unexpected end of expression.")
    if parts[3] != "?" and parts[5] != "?":
        raise CronError(
            "Support for specifying both a day-of-week AND a day-of-month parameter is not "
            "implemented."
        )
    if len(parts) == 6:
        parts.append("*")
    exact = not any(marker in part for part in parts[3:6] for marker in ("L", "W", "#"))
    fields = tuple(
        _parse_field(part, index) if exact or index not in (3, 5) else None
        for index, part in enumerate(parts)
    )
    return CronSchedule(fields, exact)


def _parse_field(text: str, index: int) -> frozenset[int] | None:
    low, high = _BOUNDS[index]
    if text == "?":
        if index not in (3, 5):
            raise CronError("'?' can only be specified for Day-of-Month or Day-of-Week.")
        return None
    values: set[int] = set()
    for item in text.upper().split(","):
        base, _, step_text = item.partition("/")
        step = _number(step_text) if step_text else 1
        if base in ("*", ""):
            first, last = low, high
        elif "-" in base:
            first_text, last_text = base.split("-", 1)
            first, last = _value(first_text, index), _value(last_text, index)
        else:
            first = _value(base, index)
            last = high if step_text else first
        if not (low <= first <= high and low <= last <= high) or step < 1:
            raise CronError(f"Invalid value in cron expression: {item}")
        values.update(range(first, last + 1, step))
    return frozenset(values)


def _value(text: str, index: int) -> int:
    if index == 4 and text in _MONTHS:
        return _MONTHS.index(text) + 1
    if index == 5 and text in _DAYS:
        return _DAYS.index(text) + 1
    return _number(text)


def _number(text: str) -> int:
    if not text.isdigit():
        raise CronError(f"Illegal characters for this position: '{text}'")
    return int(text)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
