"""The SOQL of the usage sources: ApiTotalUsage files and event log object
(docs/platform-notes.md A1-A3). One page each: the LIMITs keep every query to one call. The
activity sources' queries live in platforms/salesforce/activity.py."""

from __future__ import annotations

from datetime import UTC, date, datetime

from apibrake.platforms.salesforce.soql import soql_datetime


def event_log_top_callers(since: datetime) -> str:
    return (
        "SELECT ConnectedAppIdentifier, UserIdentifier, ClientName, COUNT(Id) calls "  # noqa: S608 - only formatted datetimes
        f"FROM ApiTotalUsageEventLog WHERE Timestamp >= {soql_datetime(since)} "
        "AND IsApiLimitCounted = true "
        "GROUP BY ConnectedAppIdentifier, UserIdentifier, ClientName "
        "ORDER BY COUNT(Id) DESC LIMIT 20"
    )


EVENTS_SAMPLED = 2000  # one query page


def event_log_newest_events(since: datetime) -> str:
    """Plain rows, newest first, for an org whose event log object refuses aggregates."""
    return (
        "SELECT ConnectedAppIdentifier, UserIdentifier, ClientName, Timestamp "  # noqa: S608 - only formatted datetimes
        f"FROM ApiTotalUsageEventLog WHERE Timestamp >= {soql_datetime(since)} "
        f"AND IsApiLimitCounted = true ORDER BY Timestamp DESC LIMIT {EVENTS_SAMPLED}"
    )


def daily_files(first: date, last: date) -> str:
    """The daily files of the days `first` to `last`, newest first (one a day)."""
    return (
        "SELECT Id, LogDate, Interval, LogFileLength, CreatedDate, LogFile FROM EventLogFile "  # noqa: S608 - only formatted datetimes
        f"WHERE EventType = 'ApiTotalUsage' AND Interval = 'Daily' "
        f"AND LogDate >= {soql_datetime(_midnight(first))} "
        f"AND LogDate <= {soql_datetime(_midnight(last))} ORDER BY LogDate DESC"
    )


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


HOURLY_FILES_READ = 10  # the newest hours' files: the newest hour's, late ones included


def newest_hourly_files() -> str:
    """An hour's events processed late come in further files for that hour (Sequence 2, 3,
    ..., later CreatedDate) listing only the new events: the caller keeps the newest hour's."""
    return (
        "SELECT Id, LogDate, Interval, Sequence, CreatedDate, LogFile FROM EventLogFile "  # noqa: S608 - a constant only
        "WHERE EventType = 'ApiTotalUsage' AND Interval = 'Hourly' "
        f"ORDER BY LogDate DESC LIMIT {HOURLY_FILES_READ}"
    )
