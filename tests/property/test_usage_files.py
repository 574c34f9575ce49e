"""ApiTotalUsage files however they come: columns in any order among unknown ones, short,
junk and uncounted rows, quoted commas, a byte order mark, CRLF, latin-1 bytes, and a file of
tens of MB. The tally never raises on a row, never counts one twice, and counts exactly
what a plain reference count of the well-formed rows gives (docs/platform-notes.md A2)."""

from __future__ import annotations

import csv
import io
import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import httpx
from hypothesis import given
from hypothesis import strategies as st

from apibrake.attribution import UsageTally
from tests.property.strategies import BAD_INPUT

DOCUMENTED = (
    "EVENT_TYPE", "TIMESTAMP", "TIMESTAMP_DERIVED", "REQUEST_ID", "ORGANIZATION_ID", "USER_ID",
    "USER_NAME", "API_FAMILY", "API_VERSION", "API_RESOURCE", "API_CLIENT_CATEGORY",
    "CLIENT_NAME", "CLIENT_IP", "CONNECTED_APP_ID", "CONNECTED_APP_NAME",
    "COUNTS_AGAINST_API_LIMIT", "ENTITY_NAME", "HTTP_METHOD", "STATUS_CODE", "BOT_IDENTIFIER",
    "BOT_SESSION_IDENTIFIER", "PLANNER_IDENTIFIER",
)  # fmt: skip
# No control characters or other line breaks: a field is on one line (httpx splits lines
# as str.splitlines does, U+2028 included).
VALUE = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=12)
# Cheap filler for the columns the tally does not read (one per row is drawn as VALUE).
FILLER = st.sampled_from(["", " ", "a,b", 'say "hi"', "Café", "x" * 40, "200", "GET"])
NAMES = st.sampled_from(["", "Nightly ETL", "HubSpot", " Sync ", "Zapier, Inc."])
COUNTED = st.sampled_from(["1", "true", "TRUE", "True", " 1 "])
NOT_COUNTED = st.sampled_from(["0", "false", "", "yes", "2", "1.0", "null", "Y", "-1"])
HOUR = st.integers(min_value=0, max_value=23)
EXTRA = (
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ_", min_size=1, max_size=12)
    .filter(lambda name: name not in DOCUMENTED)
    .map(lambda name: f"NEW_{name}")
)


@st.composite
def rows(draw: st.DrawFn) -> dict[str, str]:
    """A well-formed row: the columns the tally reads plausible, the others anything. No
    SOAP rows: a short SOAP row is realigned (tests/unit/attribution/test_tally.py)."""
    row = {name: draw(FILLER) for name in DOCUMENTED}
    row[draw(st.sampled_from(DOCUMENTED))] = draw(VALUE)
    hour = draw(HOUR)
    row |= {
        "COUNTS_AGAINST_API_LIMIT": draw(COUNTED | NOT_COUNTED),
        "CONNECTED_APP_NAME": draw(NAMES),
        "CONNECTED_APP_ID": draw(st.sampled_from(["", "0H4000000000001", "3MVabc"])),
        "CLIENT_NAME": draw(NAMES),
        "USER_NAME": draw(st.sampled_from(["", "etl@example.com", "hs@example.com"])),
        "USER_ID": draw(st.sampled_from(["", "005000000000001"])),
        "API_FAMILY": draw(st.sampled_from(["REST", "Bulk", "ApexREST", ""])),
        "TIMESTAMP_DERIVED": draw(st.just(f"2026-12-01T{hour:02d}:05:00.000Z") | VALUE),
        "TIMESTAMP": draw(st.just(f"20261201{hour:02d}0500.000") | VALUE),
    }
    return row


@st.composite
def files(draw: st.DrawFn) -> tuple[list[str], list[dict[str, str]], list[list[str]]]:
    """A header (documented columns in any order among unknown ones), its rows, and each
    row as the fields written: all of them, or a short row cut after the second."""
    extras = draw(st.lists(EXTRA, unique=True, max_size=4))
    header = draw(st.permutations([*DOCUMENTED, *extras]))
    written = []
    rows_drawn = draw(st.lists(rows(), max_size=12))
    for row in rows_drawn:
        fields = [row[name] if name in row else draw(FILLER) for name in header]
        if draw(st.booleans()):
            fields = fields[: draw(st.integers(min_value=2, max_value=len(header)))]
        written.append(fields)
    return header, rows_drawn, written


# Lines the tally must take as one bad row each (or skip, when blank): no field separator,
# or a quote never closed.
JUNK = st.text(st.characters(codec="utf-8", exclude_characters=',"\r\n'))
JUNK |= JUNK.map(lambda text: '"' + text)


def render(header: list[str], written: list[list[str]], quoting: Any) -> list[str]:
    out = io.StringIO()
    writer = csv.writer(out, quoting=quoting, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(written)
    return out.getvalue().split("\n")[:-1]


def reference(
    header: list[str], written: list[list[str]], decoded: Callable[[str], str] = str
) -> tuple[Counter[tuple[str, str, str]], int]:
    """Counted calls per (app, client, user): a row's missing trailing fields are empty."""
    calls: Counter[tuple[str, str, str]] = Counter()
    uncounted = 0
    for fields in written:
        value = dict(zip(header, [decoded(f).strip() for f in fields], strict=False))
        if value.get("COUNTS_AGAINST_API_LIMIT", "") not in {"1", "true", "TRUE", "True"}:
            uncounted += 1
            continue
        app = value.get("CONNECTED_APP_NAME") or value.get("CONNECTED_APP_ID", "")
        user = value.get("USER_NAME") or value.get("USER_ID", "")
        calls[(app, value.get("CLIENT_NAME", ""), user)] += 1
    return calls, uncounted


def tally_of(lines: Iterable[str]) -> UsageTally:
    tally = UsageTally()
    for line in lines:
        tally.feed(line)
    return tally


QUOTING = st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])


@BAD_INPUT
@given(file=files(), quoting=QUOTING, junk=st.lists(JUNK, max_size=6), data=st.data())
def test_any_column_order_short_rows_and_junk_count_as_the_reference_does(
    file: tuple[list[str], list[dict[str, str]], list[list[str]]],
    quoting: int,
    junk: list[str],
    data: st.DataObject,
) -> None:
    header, _, written = file
    head, *body = render(header, written, quoting)
    for line in junk:
        body.insert(data.draw(st.integers(min_value=0, max_value=len(body))), line)

    tally = tally_of([head, *body])

    calls, uncounted = reference(header, written)
    assert tally.raw == calls
    assert tally.total == calls.total()
    assert tally.not_counted == uncounted
    assert tally.bad_rows == sum(1 for line in junk if line.strip())
    assert sum(tally.per_hour.values()) <= tally.total


@BAD_INPUT
@given(file=files(), quoting=QUOTING)
def test_the_same_rows_in_another_column_order_give_the_same_totals(
    file: tuple[list[str], list[dict[str, str]], list[list[str]]], quoting: int
) -> None:
    header, rows_drawn, _ = file
    reordered = sorted(DOCUMENTED, reverse=True)
    first = tally_of(render(header, [[r.get(n, "") for n in header] for r in rows_drawn], quoting))
    second = tally_of(render(reordered, [[r[n] for n in reordered] for r in rows_drawn], quoting))

    assert first.raw == second.raw
    assert first.per_hour == second.per_hour
    assert first.newest == second.newest
    assert (first.total, first.not_counted, first.bad_rows) == (
        second.total,
        second.not_counted,
        second.bad_rows,
    )


@BAD_INPUT
@given(lines=st.lists(st.text(max_size=60), max_size=10), file=files())
def test_any_text_after_the_header_never_raises_and_no_line_counts_twice(
    lines: list[str], file: tuple[list[str], list[dict[str, str]], list[list[str]]]
) -> None:
    header, _, written = file
    head, *body = render(header, written, csv.QUOTE_MINIMAL)
    # Each junk line is fed whole, line breaks inside it included: at most one row each.
    tally = tally_of([head, *body, *lines])

    calls, _ = reference(header, written)
    assert tally.total <= calls.total() + len(lines)
    assert not calls - tally.raw  # every well-formed counted row is still counted
    assert tally.total + tally.not_counted + tally.bad_rows <= len(body) + len(lines)


def streamed_lines(chunks: Iterable[bytes]) -> Iterator[str]:
    """The body's lines as the collector reads them: httpx's decoder (UTF-8 when the
    response names no charset, undecodable bytes replaced) and line splitting."""
    return httpx.Response(200, content=iter(chunks)).iter_lines()


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({0, len(data), *(cut % (len(data) + 1) for cut in cuts)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


@BAD_INPUT
@given(
    file=files(),
    quoting=QUOTING,
    encoding=st.sampled_from(["utf-8", "latin-1"]),
    bom=st.booleans(),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    cuts=st.lists(st.integers(min_value=0), max_size=8),
)
def test_bytes_in_any_encoding_bom_and_line_ending_stream_to_the_reference_count(
    file: tuple[list[str], list[dict[str, str]], list[list[str]]],
    quoting: int,
    encoding: str,
    bom: bool,
    newline: str,
    cuts: list[int],
) -> None:
    header, _, written = file
    text = newline.join(render(header, written, quoting)) + newline
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding, errors="replace")

    tally = tally_of(streamed_lines(chunked(data, cuts)))

    def decoded(value: str) -> str:
        # What the reader sees of a field: latin-1 bytes that are not UTF-8 become U+FFFD.
        return value.encode(encoding, errors="replace").decode("utf-8", errors="replace")

    calls, uncounted = reference(header, written, decoded)
    assert tally.raw == calls
    assert tally.not_counted == uncounted
    assert tally.bad_rows == 0


# About 26 MB made as it is read: 100,000 rows over 6 callers and 24 hours.
BIG_ROWS = 100_000
CALLERS = [
    (app, client, user)
    for app in ("Nightly ETL", "HubSpot")
    for client in ("Account_Rollup", "Sync", "")
    for user in ("etl@example.com",)
]
BIG_HEADER = ",".join(DOCUMENTED) + "\n"


def big_body() -> Iterator[bytes]:
    column = {name: index for index, name in enumerate(DOCUMENTED)}
    template = ["x" * 8] * len(DOCUMENTED)
    template[column["API_RESOURCE"]] = "/v62.0/sobjects/Contact/003000000000001AAA" * 2
    yield BIG_HEADER.encode()
    chunk: list[str] = []
    for number in range(BIG_ROWS):
        app, client, user = CALLERS[number % len(CALLERS)]
        row: list[Any] = list(template)
        row[column["CONNECTED_APP_NAME"]] = app
        row[column["CLIENT_NAME"]] = client
        row[column["USER_NAME"]] = user
        row[column["COUNTS_AGAINST_API_LIMIT"]] = "1" if number % 10 else "0"
        row[column["TIMESTAMP_DERIVED"]] = f"2026-12-01T{number % 24:02d}:00:00.000Z"
        chunk.append(",".join(row))
        if len(chunk) == 1000:
            yield ("\r\n".join(chunk) + "\r\n").encode()
            chunk = []


def test_a_file_of_tens_of_mb_aggregates_in_memory_bounded_by_callers() -> None:
    sent = 0

    def counted(chunks: Iterator[bytes]) -> Iterator[bytes]:
        nonlocal sent
        for chunk in chunks:
            sent += len(chunk)
            yield chunk

    tally = tally_of(streamed_lines(counted(big_body())))

    assert sent > 25 * 1024 * 1024
    assert tally.total == BIG_ROWS * 9 // 10
    assert tally.not_counted == BIG_ROWS // 10
    assert tally.bad_rows == 0
    # What it keeps grows with distinct callers and hours, not with rows (how the body
    # streams in is tests/unit/attribution/test_tally.py's)
    assert set(tally.raw) == set(CALLERS)
    assert len(tally.per_hour) == 24
    assert sum(tally.per_hour.values()) == tally.total
    assert tally.newest is not None
    assert tally.newest.hour == 23
