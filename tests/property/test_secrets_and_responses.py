"""Bad secrets name a field, never a value; platform junk raises only MalformedResponse."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from apibrake.http.client import PlatformHttp
from apibrake.http.errors import MalformedResponse, PlatformError
from apibrake.http.profile import CallKind
from apibrake.http.usage_headers import parse_hubspot_daily, parse_sforce_limit_info
from apibrake.models.connection import Connection
from apibrake.models.usage import UsageReading
from apibrake.platforms.connect import SecretInvalid, connect
from apibrake.platforms.hubspot.errors import classify_hubspot_error
from apibrake.platforms.hubspot.profile import HUBSPOT_PROFILE
from apibrake.platforms.hubspot.usage import parse_daily_usage
from apibrake.platforms.salesforce.errors import classify_salesforce_error
from apibrake.platforms.salesforce.limits import parse_limits
from apibrake.platforms.salesforce.profile import SALESFORCE_PROFILE
from tests.property.strategies import BAD_INPUT, JSON, near

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
CANARY = "CANARY"
SECRET_VALUES = st.text(max_size=12).map(lambda text: f"{CANARY}-{text}")
URLS = st.sampled_from(["http://127.0.0.1:9", "https://acme.my.salesforce.com"]) | SECRET_VALUES
SECRETS = near(
    {
        "auth": st.sampled_from(["client_credentials", "jwt_bearer", "token", "oauth_refresh"])
        | SECRET_VALUES,
        "instance_url": URLS,
        "login_url": URLS,
        "base_url": URLS,
        "client_id": SECRET_VALUES,
        "client_secret": SECRET_VALUES,
        "username": SECRET_VALUES,
        "private_key": SECRET_VALUES,
        "access_token": SECRET_VALUES,
        "refresh_token": SECRET_VALUES,
        "api_version": st.sampled_from(["62.0", "v62"]) | SECRET_VALUES,
    }
)
SECRET_FIELDS = {
    "(secret)", "auth", "instance_url", "login_url", "base_url", "client_id", "client_secret",
    "username", "private_key", "access_token", "refresh_token", "api_version",
}  # fmt: skip
LIMITS = near(
    {
        "DailyApiRequests": near(
            {"Max": JSON | st.integers(-5, 10**6), "Remaining": JSON | st.integers(-5, 10**6)}
        )
    }
)
USAGE = near(
    {
        "results": st.lists(
            near(
                {
                    "name": st.just("private-apps-api-calls-daily"),
                    "currentUsage": st.integers(-5, 10**6),
                    "usageLimit": st.integers(-5, 10**6),
                    "collectedAt": st.datetimes().map(datetime.isoformat),
                    "resetsAt": st.datetimes().map(datetime.isoformat),
                    "fetchStatus": st.sampled_from(["SUCCESS", "CACHED", "FAILURE"]),
                }
            ),
            max_size=3,
        )
    }
)


@pytest.mark.parametrize("platform", ["salesforce", "hubspot"])
@BAD_INPUT
@given(secret=SECRETS | JSON)
def test_bad_secret_names_the_field_and_never_a_value(platform: str, secret: Any) -> None:
    connection = Connection.model_validate(
        {"connection_id": "c1", "platform": platform, "secret_id": "apibrake/c1"}
    )

    error = _connect_error(connection, secret)

    if error is not None:
        assert error.field.split(".")[0] in SECRET_FIELDS, error
        # No chained pydantic error, whose text would quote the input.
        assert error.__cause__ is None
        assert error.__context__ is None or error.__suppress_context__
        for text in (str(error), repr(error), error.problem, error.field):
            assert CANARY not in text, text


def _connect_error(connection: Connection, secret: Any) -> SecretInvalid | None:
    async def attempt() -> None:
        async with httpx.AsyncClient() as client:
            connect(connection, secret, client)

    try:
        asyncio.run(attempt())
    except SecretInvalid as error:
        return error
    return None


@BAD_INPUT
@given(body=LIMITS | JSON)
def test_salesforce_limits_parser_reads_or_calls_it_malformed(body: Any) -> None:
    try:
        reading = parse_limits(body, taken_at=NOW)
    except MalformedResponse:
        return
    assert reading.limit >= 0


@BAD_INPUT
@given(body=USAGE | JSON)
def test_hubspot_usage_parser_reads_or_calls_it_malformed(body: Any) -> None:
    try:
        reading = parse_daily_usage(body)
    except MalformedResponse:
        return
    assert reading.used >= 0
    assert reading.limit >= 0


@BAD_INPUT
@given(
    limit_info=st.text(max_size=80) | st.from_regex(r"api-usage=\d{1,14}/\d{1,14}(;.{0,20})?"),
    daily=JSON,
    remaining=JSON,
)
def test_usage_headers_give_a_reading_or_none(limit_info: str, daily: Any, remaining: Any) -> None:
    for reading in (
        parse_sforce_limit_info(limit_info, taken_at=NOW),
        parse_hubspot_daily(daily, remaining, taken_at=NOW),
    ):
        assert reading is None or isinstance(reading, UsageReading)


@pytest.mark.parametrize(
    ("profile", "classify"),
    [(SALESFORCE_PROFILE, classify_salesforce_error), (HUBSPOT_PROFILE, classify_hubspot_error)],
)
@BAD_INPUT
@given(content=st.binary(max_size=200), status=st.integers(400, 599))
def test_any_body_bytes_become_json_or_a_platform_error(
    profile: Any, classify: Any, content: bytes, status: int
) -> None:
    request = httpx.Request("GET", "http://127.0.0.1:9/limits")
    http = PlatformHttp(httpx.AsyncClient(), profile)

    assert isinstance(
        classify(httpx.Response(status, content=content, request=request), CallKind.API),
        PlatformError,
    )
    with contextlib.suppress(MalformedResponse):
        http.json_body(httpx.Response(200, content=content, request=request))
