"""The ApiTotalUsage CSV aggregation: by header name, tolerant of short rows, unknown
columns and bad rows, and streamed (a body too big to hold is never held)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from apibrake.attribution import UsageTally
from apibrake.attribution.caller import CallerKey
from apibrake.http import PlatformHttp
from apibrake.platforms.salesforce.profile import SALESFORCE_PROFILE

# The 3P sample verbatim (docs/platform-notes.md A2): its SOAP row has one field fewer than
# the header.
SAMPLE = """EVENT_TYPE,TIMESTAMP,REQUEST_ID,ORGANIZATION_ID,USER_ID,API_FAMILY,API_VERSION,API_RESOURCE,CLIENT_NAME,HTTP_METHOD,CLIENT_IP,COUNTS_AGAINST_API_LIMIT,CONNECTED_APP_ID,ENTITY_NAME,STATUS_CODE,CONNECTED_APP_NAME,USER_NAME,TIMESTAMP_DERIVED
ApiTotalUsage,20251009183437.652,xxxxxxxxxxxxxxxxxxxxx,00Dxxxxxxxxxxxxxxxxx,005xxxxxxxxxxxxxxxxx,SOAP,64.0,login,,xxx.xxx.xxx.xxx,1,, ,200,,user@company.com,2025-10-09T18:34:37.652Z
ApiTotalUsage,20251009184000.123,xxxxxxxxxxxxxxxxxxxxx,00Dxxxxxxxxxxxxxxxxx,005xxxxxxxxxxxxxxxxx,REST,64.0,/v64.0/sobjects/Account,MyECA,GET,xxx.xxx.xxx.xxx,1,3MVxxxxxxxxxxxxxxxxx,Account,200,MyApp,user@company.com,2025-10-09T18:40:00.123Z
"""  # noqa: E501


def _tally(text: str) -> UsageTally:
    tally = UsageTally()
    for line in text.splitlines():
        tally.feed(line)
    return tally


def test_the_published_sample_with_its_short_row() -> None:
    tally = _tally(SAMPLE)
    assert tally.total == 2
    assert tally.bad_rows == 0
    # The REST row names its app and client by header, wherever the columns sit
    assert tally.calls[CallerKey("MyApp", "MyECA", "user@company.com")] == 1
    # The short SOAP row lacks HTTP_METHOD: realigned, it is the user's counted login
    assert tally.calls[CallerKey("", "", "user@company.com")] == 1
    assert tally.per_hour[18] == 2


def test_columns_by_name_unknown_columns_ignored_and_uncounted_rows_skipped() -> None:
    text = (
        "NEW_COLUMN,COUNTS_AGAINST_API_LIMIT,CLIENT_NAME,USER_NAME,TIMESTAMP_DERIVED\n"
        "x,1,Account_Rollup,auto@x,2026-12-01T05:00:00.000Z\n"
        "x,0,Account_Rollup,auto@x,2026-12-01T05:00:01.000Z\n"
        "x,true,Account_Rollup,auto@x,2026-12-01T06:00:00.000Z\n"
    )
    tally = _tally(text)
    assert tally.calls == {CallerKey("", "Account_Rollup", "auto@x"): 2}
    assert tally.not_counted == 1
    assert dict(tally.per_hour) == {5: 1, 6: 1}


def test_a_fully_quoted_file_reads_as_real_files_are_written() -> None:
    """Every header and value double-quoted, empty ones too, an escaped quote in a value;
    the connected app known by its 15-character id only."""
    text = (
        '"COUNTS_AGAINST_API_LIMIT","CONNECTED_APP_ID","CONNECTED_APP_NAME","CLIENT_NAME",'
        '"USER_NAME"\n'
        '"1","0H45g000000AbCd","","","etl@x"\n'
        '"1","0H45g000000AbCdEAB","","","etl@x"\n'
        '"1","","","say ""hi"", then","user@x"\n'
    )
    tally = _tally(text)
    assert tally.calls == {
        CallerKey("0H45g000000AbCd", "", "etl@x"): 2,  # 15 and 18 characters: one app
        CallerKey("", 'say "hi", then', "user@x"): 1,
    }
    assert tally.bad_rows == 0


def test_bad_rows_are_counted_not_fatal() -> None:
    text = 'COUNTS_AGAINST_API_LIMIT,CLIENT_NAME\n1,a\n"unterminated\n1\n1,b,extra\n'
    tally = _tally(text)
    assert tally.total == 2
    assert tally.bad_rows == 2


def test_a_file_without_the_counting_column_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="COUNTS_AGAINST_API_LIMIT"):
        _tally("EVENT_TYPE,CLIENT_NAME\nApiTotalUsage,x\n")


ROWS = 40_000
CHUNK_ROWS = 500
ROW = (
    "ApiTotalUsage,20261201{hh:02d}0000.000,TID,00D000000000001,005000000000001,REST,62.0,"
    "/v62.0/sobjects/Contact,{client},PATCH,203.0.113.10,1,0H4000000000001,Contact,200,"
    "Nightly ETL,etl@example.com,2026-12-01T{hh:02d}:00:00.000Z\n"
)


class BigBody:
    """About 8 MB of CSV, made as it is sent; counts the chunks handed out so far."""

    def __init__(self) -> None:
        self.chunks_sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield (SAMPLE.splitlines()[0] + "\n").encode()
        chunk = []
        for number in range(ROWS):
            client = "Account_Rollup" if number % 3 else "Sync"
            chunk.append(ROW.format(hh=number * 24 // ROWS, client=client))
            if len(chunk) == CHUNK_ROWS:
                self.chunks_sent += 1
                yield "".join(chunk).encode()
                chunk = []


class WatchingTally(UsageTally):
    """Notes how much of the body had been sent when each row arrived."""

    def __init__(self, body: BigBody) -> None:
        super().__init__()
        self.body = body
        self.most_sent_ahead = 0

    def feed(self, line: str) -> None:
        super().feed(line)
        ahead = self.body.chunks_sent - self.total // CHUNK_ROWS
        self.most_sent_ahead = max(self.most_sent_ahead, ahead)


@pytest.mark.anyio
async def test_a_file_too_big_to_hold_is_streamed_and_aggregated() -> None:
    body = BigBody()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, headers={"Content-Type": "application/octetstream"}, content=body.__aiter__()
        )

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        http = PlatformHttp(client, SALESFORCE_PROFILE)

        async def consume(response: httpx.Response) -> WatchingTally:
            tally = WatchingTally(body)
            async for line in response.aiter_lines():
                tally.feed(line)
            return tally

        tally = await http.stream("https://x.my.salesforce.com/f/LogFile", consume=consume)
    assert tally.total == ROWS
    assert (
        tally.calls[CallerKey("Nightly ETL", "Account_Rollup", "etl@example.com")] == ROWS * 2 // 3
    )
    assert sum(tally.per_hour.values()) == ROWS
    assert http.billable_calls == 1
    # Rows were aggregated as the chunks came: never more than a couple of the 80 chunks
    # (500 rows each) had been sent ahead of the rows already counted
    assert body.chunks_sent == ROWS // CHUNK_ROWS
    assert tally.most_sent_ahead <= 2


def test_a_byte_order_mark_before_the_counting_column_is_not_part_of_its_name() -> None:
    # Regression (tests/property/test_usage_files.py): a UTF-8 BOM is kept by the decoder
    # and hid the first column's name, so a file opening with the counting column was refused.
    tally = _tally("\ufeffCOUNTS_AGAINST_API_LIMIT,CLIENT_NAME\n1,a\n")
    assert tally.calls == {CallerKey("", "a", ""): 1}
    tally = _tally('\ufeff"COUNTS_AGAINST_API_LIMIT","CLIENT_NAME"\n"1","a"\n')
    assert tally.calls == {CallerKey("", "a", ""): 1}
