"""The SOQL of the usage sources: ApiTotalUsage files and event log object (platforms.md
A1-A3). One page each: the LIMITs keep every query to one call. The activity sources'
queries live in platforms/salesforce/activity.py."""

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


def daily_file(day: date) -> str:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return (
        "SELECT Id, LogDate, Interval, LogFileLength, CreatedDate, LogFile FROM EventLogFile "  # noqa: S608 - only formatted datetimes
        f"WHERE EventType = 'ApiTotalUsage' AND Interval = 'Daily' "
        f"AND LogDate = {soql_datetime(start)} LIMIT 1"
    )


def newest_hourly_file() -> str:
    return (
        "SELECT Id, LogDate, Interval, Sequence, CreatedDate, LogFile FROM EventLogFile "
        "WHERE EventType = 'ApiTotalUsage' AND Interval = 'Hourly' "
        "ORDER BY LogDate DESC LIMIT 1"
    )
