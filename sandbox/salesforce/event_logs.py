"""ApiTotalUsage as Salesforce serves it: EventLogFile records (daily files for each ended
UTC day; hourly files in a licensed org), their CSV bodies, and ApiTotalUsageEventLog rows
(docs/platform-notes.md A1-A3), all built from the org's call ledger.

A file exists only when its period saw calls, appears `daily_file_delay` /
`hourly_file_delay` after the period ends, and is kept 1 day after its CreatedDate (30 with
the Event Monitoring licence, as far as the ledger reaches).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sandbox.salesforce.ledger import Caller, CallLedger
from sandbox.salesforce.minutes import minute_start
from sandbox.salesforce.settings import SalesforceSettings

# The official column list (object reference v67), in the order a real file's header has
# them (the 3P sample), plus API_CLIENT_CATEGORY.
COLUMNS = (
    "EVENT_TYPE", "TIMESTAMP", "REQUEST_ID", "ORGANIZATION_ID", "USER_ID", "API_FAMILY",
    "API_VERSION", "API_RESOURCE", "CLIENT_NAME", "HTTP_METHOD", "CLIENT_IP",
    "COUNTS_AGAINST_API_LIMIT", "CONNECTED_APP_ID", "ENTITY_NAME", "STATUS_CODE",
    "CONNECTED_APP_NAME", "USER_NAME", "TIMESTAMP_DERIVED", "API_CLIENT_CATEGORY",
)  # fmt: skip
_TYPES = (
    "String", "String", "String", "Id", "Id", "String", "Number", "String", "String", "String",
    "String", "Boolean", "String", "Set", "Number", "String", "String", "DateTime", "String",
)  # fmt: skip
_DAY = timedelta(days=1)
_HOUR = timedelta(hours=1)
_ROWS_PER_CHUNK = 500
_LATE_FILE_GAP = timedelta(minutes=20)  # between an hour's files (undocumented: any gap)


@dataclass(frozen=True)
class LogFile:
    id: str
    interval: str  # Daily | Hourly
    start: datetime  # LogDate: the day or hour the events fall in
    end: datetime
    created: datetime
    # Which of the period's events the file lists: an hour's events processed late come in
    # a further file for the same hour listing only those (Sequence 2, 3, ...).
    events_from: datetime
    events_to: datetime
    sequence: int = 0  # 0 for a daily file; 1, 2, ... for an hour's files


def _file_id(interval: str, start: datetime, part: int) -> str:
    code = int(start.timestamp() // 3600)
    return f"0AT{'D' if interval == 'Daily' else 'H'}{code:010d}{part}AAA"[:18]


class EventLogs:
    def __init__(self, ledger: CallLedger, settings: SalesforceSettings) -> None:
        self._ledger = ledger
        self._settings = settings

    def files(self, now: datetime) -> list[LogFile]:
        if not self._settings.event_log_generation:
            return []
        retention_days = 30 if self._settings.event_monitoring_licensed else 1
        retention = _DAY * retention_days
        late_days = self._settings.daily_file_delay // _DAY
        candidates = self._days(now, retention_days + late_days + 1)
        if self._settings.event_monitoring_licensed:
            candidates += self._hours(now, 72)
        return [
            file
            for file in candidates
            if file.created <= now < file.created + retention
            and self._ledger.any_calls(file.events_from, file.events_to)
        ]

    def _days(self, now: datetime, count: int) -> list[LogFile]:
        midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        delay = self._settings.daily_file_delay
        files = []
        for back in range(1, count + 1):
            start = midnight - back * _DAY
            end = start + _DAY
            files.append(
                LogFile(_file_id("Daily", start, 0), "Daily", start, end, end + delay, start, end)
            )
        return files

    def _hours(self, now: datetime, count: int) -> list[LogFile]:
        """Each hour's events in `hourly_files_per_hour` files, the later ones created 20
        minutes apart, numbered 1, 2, ... among the files that have events."""
        anchor = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        parts = max(1, self._settings.hourly_files_per_hour)
        files = []
        for back in range(1, count + 1):
            start = anchor - back * _HOUR
            end = start + _HOUR
            sequence = 0
            for part in range(parts):
                events_from, events_to = (
                    start + _HOUR * part / parts,
                    start + _HOUR * (part + 1) / parts,
                )
                if not self._ledger.any_calls(events_from, events_to):
                    continue
                sequence += 1
                created = end + self._settings.hourly_file_delay + _LATE_FILE_GAP * part
                files.append(
                    LogFile(_file_id("Hourly", start, sequence), "Hourly", start, end, created,
                            events_from, events_to, sequence)
                )  # fmt: skip
        return files

    def file(self, file_id: str, now: datetime) -> LogFile | None:
        return next((f for f in self.files(now) if f.id[:15] == file_id[:15]), None)

    def rows(self, now: datetime) -> list[dict[str, object]]:
        """EventLogFile records as SOQL sees them."""
        return [
            {
                "Id": file.id,
                "EventType": "ApiTotalUsage",
                "Interval": file.interval,
                "Sequence": file.sequence,
                "LogDate": _timestamp(file.start),
                "CreatedDate": _timestamp(file.created),
                "LogFileLength": float(self._length_estimate(file)),
                "LogFileFieldNames": ",".join(COLUMNS),
                "LogFileFieldTypes": ",".join(_TYPES),
                "ApiVersion": 62.0,
                "LogFile": f"/services/data/v62.0/sobjects/EventLogFile/{file.id}/LogFile",
            }
            for file in self.files(now)
        ]

    def _length_estimate(self, file: LogFile) -> int:
        events = self._ledger.whole_calls(file.events_from, file.events_to)
        calls = sum(calls for _, _, calls in events)
        return 220 * calls

    def body(self, file: LogFile) -> Iterator[bytes]:
        """The CSV, chunk by chunk: never the whole file in memory."""
        buffer = io.StringIO()
        # As real files: every header and value double-quoted.
        writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
        writer.writerow(COLUMNS)
        rows = 0
        for minute, caller, calls in self._ledger.whole_calls(file.events_from, file.events_to):
            for number in range(calls):
                at = minute_start(minute) + timedelta(seconds=60 * number / calls)
                writer.writerow(self._row(caller, at, rows))
                rows += 1
                if rows % _ROWS_PER_CHUNK == 0:
                    yield buffer.getvalue().encode()
                    buffer.seek(0)
                    buffer.truncate()
        yield buffer.getvalue().encode()

    def _row(self, caller: Caller, at: datetime, number: int) -> tuple[object, ...]:
        return (
            "ApiTotalUsage",
            at.strftime("%Y%m%d%H%M%S.") + f"{at.microsecond // 1000:03d}",
            f"TID{number:018d}",
            self._settings.org_id[:15],
            caller.user_id[:15],
            caller.api_family,
            "62.0",
            caller.api_resource,
            caller.client_name,
            caller.http_method,
            "Salesforce.com IP" if caller.client_category == "SALESFORCE" else "203.0.113.10",
            1,
            caller.connected_app_id[:15],  # 15 characters in files, 18 in the event log object
            caller.entity,
            200,
            caller.connected_app_name,
            caller.username,
            at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z",
            caller.client_category,
        )

    def event_log_rows(self, now: datetime) -> list[dict[str, object]]:
        """ApiTotalUsageEventLog rows, one per caller and minute standing for its calls
        (`__count`): the query engine counts them as that many events."""
        start = now - timedelta(days=1)
        return [
            {
                "Id": f"0Xa{minute:010d}{index:05d}"[:18],
                "ApiFamily": caller.api_family,
                "ApiResource": caller.api_resource,
                "ClientIp": "203.0.113.10",
                "ClientName": caller.client_name or None,
                "ConnectedAppIdentifier": caller.connected_app_id or None,
                "HttpMethod": caller.http_method,
                "ObjectName": caller.entity or None,
                "RequestIdentifier": f"TID{minute}",
                "UserIdentifier": caller.user_id,
                "IsApiLimitCounted": True,
                "StatusCode": 200,
                "Timestamp": _timestamp(minute_start(minute)),
                "__count": calls,
            }
            for index, (minute, caller, calls) in enumerate(
                self._ledger.whole_calls(start, now + timedelta(minutes=1))
            )
        ]


def _timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
