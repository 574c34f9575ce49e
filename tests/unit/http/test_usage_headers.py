from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from apibrake.http.usage_headers import (
    hubspot_header_reading,
    parse_hubspot_daily,
    parse_sforce_limit_info,
    salesforce_header_reading,
)
from apibrake.models.usage import ReadingSource

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_salesforce_api_usage_is_read() -> None:
    reading = parse_sforce_limit_info("api-usage=25/15000", taken_at=NOW)

    assert reading is not None
    assert (reading.used, reading.limit) == (25, 15000)
    assert reading.source is ReadingSource.RESPONSE_HEADERS
    assert reading.taken_at == NOW
    assert reading.per_app == {}


def test_salesforce_per_app_usage_is_kept() -> None:
    value = "api-usage=18/5000; per-app-api-usage=17/250(appName=sample-connected-app)"

    reading = parse_sforce_limit_info(value, taken_at=NOW)

    assert reading is not None
    assert (reading.used, reading.limit) == (18, 5000)
    assert reading.per_app == {"sample-connected-app": (17, 250)}


def test_salesforce_api_bursts_are_ignored() -> None:
    reading = parse_sforce_limit_info("api-usage=3/100000; api-bursts=2/60", taken_at=NOW)

    assert reading is not None
    assert (reading.used, reading.limit) == (3, 100000)


def test_salesforce_usage_above_max_is_real() -> None:
    reading = parse_sforce_limit_info("api-usage=110018/100000", taken_at=NOW)

    assert reading is not None
    assert reading.percent == pytest.approx(110.018)


@pytest.mark.parametrize(
    "headers",
    [
        {"Sforce-Limit-Info": "api-usage=7/10"},
        {"sforce-limit-info": "api-usage=7/10"},
        {"SFORCE-LIMIT-INFO": "api-usage=7/10"},
        httpx.Headers({"sforce-LIMIT-info": "api-usage=7/10"}),
    ],
)
def test_salesforce_header_name_is_case_insensitive(headers: dict[str, str]) -> None:
    reading = salesforce_header_reading(headers, NOW)

    assert reading is not None
    assert reading.used == 7


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "api-usage=",
        "api-usage=abc/100",
        "api-usage=10",
        "api-usage=-1/100",
        "api-usage=1.5/100",
        "per-app-api-usage=17/250(appName=x)",
        "<html>oops</html>",
        "api-usage=1/1" + "0" * 3000,
        42,
        b"api-usage=1/2",
    ],
)
def test_salesforce_garbage_gives_none(value: object) -> None:
    assert parse_sforce_limit_info(value, taken_at=NOW) is None


def test_hubspot_used_is_daily_minus_remaining() -> None:
    reading = hubspot_header_reading(
        httpx.Headers(
            {"X-HubSpot-RateLimit-Daily": "500000", "x-hubspot-ratelimit-daily-remaining": "499000"}
        ),
        NOW,
    )

    assert reading is not None
    assert (reading.used, reading.limit) == (1000, 500000)
    assert reading.source is ReadingSource.RESPONSE_HEADERS


@pytest.mark.parametrize(
    ("daily", "remaining"),
    [
        (None, "10"),
        ("100", None),
        ("abc", "10"),
        ("100", "101"),
        ("100", "-1"),
        ("0", "0"),
        ("", ""),
    ],
)
def test_hubspot_garbage_gives_none(daily: str | None, remaining: str | None) -> None:
    assert parse_hubspot_daily(daily, remaining, taken_at=NOW) is None


def test_hubspot_without_daily_headers_gives_none() -> None:
    headers = {"X-HubSpot-RateLimit-Max": "190", "X-HubSpot-RateLimit-Remaining": "189"}

    assert hubspot_header_reading(headers, NOW) is None


@given(st.text(max_size=300))
def test_any_salesforce_header_text_never_raises(value: str) -> None:
    parse_sforce_limit_info(value, taken_at=NOW)


@given(st.text(max_size=30), st.text(max_size=30))
def test_any_hubspot_header_text_never_raises(daily: str, remaining: str) -> None:
    parse_hubspot_daily(daily, remaining, taken_at=NOW)
