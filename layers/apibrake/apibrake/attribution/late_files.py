"""How long a day's ApiTotalUsage daily file may still come, and what to say meanwhile.

Salesforce generates daily files "during nonpeak hours the day after an event", and they "can
be created within three days of generation" (docs/platform-notes.md). So a file missing at
the collection is not proof that generation is off: the day is looked for again at each
daily collection until its file can no longer come.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

LATE_DAYS = 3
# The day after the event, up to three days late, and the next morning's collection.
_LOOKED_FOR = timedelta(days=1 + LATE_DAYS + 1, hours=12)
# A daily file collected this recently shows generation is on.
RECENT_COLLECTION = timedelta(days=7)


def last_chance(day: date) -> datetime:
    """Until when `day`'s file is looked for."""
    return datetime.combine(day, time.min, tzinfo=UTC) + _LOOKED_FOR


def days_to_look_for(yesterday: date, missed: list[date], now: datetime) -> list[date]:
    """Yesterday and the missed days whose file may still come, newest first."""
    due = {day for day in missed if day < yesterday and now < last_chance(day)}
    return sorted({yesterday, *due}, reverse=True)


def not_yet_published(day: date) -> str:
    return (
        f"not yet published: Salesforce can publish a daily file up to {LATE_DAYS} days "
        f"late; collected when it appears (looked for until {last_chance(day):%Y-%m-%d})"
    )


def no_file_seen(day: date) -> str:
    """No daily file collected lately either: late, generation off, or no calls."""
    return (
        f"no ApiTotalUsage daily file yet: it may still come (up to {LATE_DAYS} days late; "
        f"looked for until {last_chance(day):%Y-%m-%d}); if none does, turn on Setup > Event "
        "Monitoring Settings > Generate event log files, or the day had no calls"
    )
