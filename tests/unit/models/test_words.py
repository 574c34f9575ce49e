"""Counts read in the right number: '1 bad row', '2 bad rows', '1 entry'."""

from __future__ import annotations

import pytest

from apibrake.models.words import counted, hourly_rate, in_units


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, "0 bad rows"), (1, "1 bad row"), (2, "2 bad rows"), (1200, "1,200 bad rows")],
)
def test_a_count_takes_its_noun_in_the_right_number(count: int, expected: str) -> None:
    assert counted(count, "bad row") == expected


def test_an_irregular_plural_is_said() -> None:
    assert counted(1, "entry", "entries") == "1 entry"
    assert counted(3, "entry", "entries") == "3 entries"


def test_a_unit_named_in_the_plural_is_singular_for_one() -> None:
    assert in_units(1, "runs") == "1 run"
    assert in_units(5, "calls") == "5 calls"


def test_a_falling_usage_reads_falling_never_a_negative_rate() -> None:
    assert hourly_rate(-49_749.2) == "falling"
    assert hourly_rate(1_250.4) == "1,250/h"
    assert hourly_rate(None) == "-"
