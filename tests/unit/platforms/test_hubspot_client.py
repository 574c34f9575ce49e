from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx

from apibrake.http import DailyLimitExhausted, MalformedResponse, PlatformHttp
from apibrake.models.credentials import HUBSPOT_CREDENTIALS
from apibrake.models.usage import ReadingSource
from apibrake.platforms.hubspot.client import FLOW_BATCH_READ_MAX, HubSpotClient

pytestmark = pytest.mark.anyio

MakeHttp = Callable[..., PlatformHttp]
BASE = "https://api.hubapi.com"
USAGE_URL = f"{BASE}/account-info/2026-09/api-usage/daily/private-apps"
FLOWS = f"{BASE}/automation/2026-09-beta/flows"


@pytest.fixture
def client(make_http: MakeHttp) -> HubSpotClient:
    credentials = HUBSPOT_CREDENTIALS.validate_python({"auth": "token", "access_token": "pat-1"})
    return HubSpotClient(make_http("hubspot"), credentials)


def usage_entry(**overrides: Any) -> dict[str, Any]:
    entry = {
        "name": "private-apps-api-calls-daily",
        "usageLimit": 500000,
        "currentUsage": 1234,
        "collectedAt": "2026-04-10T06:46:40.789Z",
        "fetchStatus": "SUCCESS",
        "resetsAt": "2026-04-11T04:00:00Z",
    }
    return {**entry, **overrides}


async def test_daily_usage_picks_the_entry_by_name(
    router: respx.MockRouter, client: HubSpotClient
) -> None:
    other = {
        "name": "some-other-limit",
        "usageLimit": 10,
        "currentUsage": 9,
        "collectedAt": "2026-04-10T06:00:00Z",
        "fetchStatus": "SUCCESS",
    }
    route = router.get(USAGE_URL).mock(
        return_value=httpx.Response(
            200,
            json={"results": [other, usage_entry()]},
            headers={
                "X-HubSpot-RateLimit-Daily": "500000",
                "X-HubSpot-RateLimit-Daily-Remaining": "498000",
            },
        )
    )

    reading = await client.daily_usage()

    assert (reading.used, reading.limit, reading.stale) == (1234, 500000, False)
    assert reading.source is ReadingSource.USAGE_ENDPOINT
    assert reading.taken_at == datetime(2026, 4, 10, 6, 46, 40, 789000, tzinfo=UTC)
    assert reading.resets_at == datetime(2026, 4, 11, 4, 0, tzinfo=UTC)
    assert route.calls.last.request.headers["Authorization"] == "Bearer pat-1"
    assert client.http.last_header_reading is not None
    assert client.http.last_header_reading.used == 2000


async def test_cached_usage_is_a_usable_reading_and_reset_is_optional(
    router: respx.MockRouter, client: HubSpotClient
) -> None:
    entry = usage_entry(fetchStatus="CACHED")
    del entry["resetsAt"]
    router.get(USAGE_URL).mock(return_value=httpx.Response(200, json={"results": [entry]}))

    reading = await client.daily_usage()

    assert not reading.stale  # HubSpot's cache: as old as collectedAt, which readers judge
    assert reading.resets_at is None


@pytest.mark.parametrize("status", ["FAILURE", "NOTFOUND", "TIMEOUT"])
async def test_failed_fetch_with_numbers_is_a_stale_reading(
    router: respx.MockRouter, client: HubSpotClient, status: str
) -> None:
    router.get(USAGE_URL).mock(
        return_value=httpx.Response(200, json={"results": [usage_entry(fetchStatus=status)]})
    )

    assert (await client.daily_usage()).stale


@pytest.mark.parametrize("status", ["FAILURE", "NOTFOUND", "TIMEOUT"])
async def test_failed_fetch_without_numbers_is_a_clear_error(
    router: respx.MockRouter, client: HubSpotClient, status: str
) -> None:
    entry = usage_entry(fetchStatus=status, currentUsage=None, usageLimit=None)
    router.get(USAGE_URL).mock(return_value=httpx.Response(200, json={"results": [entry]}))

    with pytest.raises(MalformedResponse, match=f"fetchStatus={status}"):
        await client.daily_usage()


@pytest.mark.parametrize(
    "body",
    [
        {"results": []},
        {"results": [usage_entry(name="other")]},
        {"nope": 1},
        {"results": [usage_entry(collectedAt="yesterday")]},
    ],
)
async def test_unreadable_usage_is_malformed(
    router: respx.MockRouter, client: HubSpotClient, body: dict[str, Any]
) -> None:
    router.get(USAGE_URL).mock(return_value=httpx.Response(200, json=body))

    with pytest.raises(MalformedResponse):
        await client.daily_usage()


async def test_daily_exhaustion_carries_the_last_known_reset(
    router: respx.MockRouter, client: HubSpotClient
) -> None:
    router.get(USAGE_URL).mock(return_value=httpx.Response(200, json={"results": [usage_entry()]}))
    flow = router.get(f"{FLOWS}/42").mock(
        return_value=httpx.Response(
            429,
            json={
                "status": "error",
                "message": "You have reached your daily limit.",
                "correlationId": "c",
                "policyName": "DAILY",
            },
        )
    )
    await client.daily_usage()

    with pytest.raises(DailyLimitExhausted) as raised:
        await client.get_flow("42")

    assert raised.value.resets_at == datetime(2026, 4, 11, 4, 0, tzinfo=UTC)
    assert flow.call_count == 1


async def test_account_details(router: respx.MockRouter, client: HubSpotClient) -> None:
    router.get(f"{BASE}/account-info/2026-09/details").mock(
        return_value=httpx.Response(
            200,
            json={
                "portalId": 62515,
                "timeZone": "US/Eastern",
                "utcOffset": "-05:00",
                "utcOffsetMilliseconds": -18000000,
                "accountType": "STANDARD",
                "companyCurrency": "USD",
                "additionalCurrencies": [],
                "dataHostingLocation": "na1",
                "uiDomain": "app.hubspot.com",
            },
        )
    )

    details = await client.account_details()

    assert (details.time_zone, details.utc_offset) == ("US/Eastern", "-05:00")
    assert (details.utc_offset_milliseconds, details.portal_id) == (-18000000, 62515)


async def test_list_flows_follows_the_cursor(
    router: respx.MockRouter, client: HubSpotClient
) -> None:
    route = router.get(FLOWS).mock(
        side_effect=[
            httpx.Response(
                200,
                json={
                    "results": [{"id": "1"}, {"id": "2"}],
                    "paging": {"next": {"after": "MjA=", "link": "x"}},
                },
            ),
            httpx.Response(200, json={"results": [{"id": "3"}]}),
        ]
    )

    flows = await client.list_flows(page_size=2)

    assert [f["id"] for f in flows] == ["1", "2", "3"]
    queries = [parse_qs(urlsplit(str(c.request.url)).query) for c in route.calls]
    assert queries == [{"limit": ["2"]}, {"limit": ["2"], "after": ["MjA="]}]


async def test_batch_read_sends_flow_id_coordinates_in_chunks(
    router: respx.MockRouter, client: HubSpotClient
) -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        inputs = json.loads(request.content)["inputs"]
        results = [{"id": i["flowId"], "isEnabled": True} for i in inputs[1:]]
        errors = [
            {
                "status": "error",
                "category": "OBJECT_NOT_FOUND",
                "message": "gone",
                "context": {},
                "errors": [],
                "links": {},
            }
        ]
        return httpx.Response(
            207,
            json={
                "status": "COMPLETE",
                "results": results,
                "errors": errors,
                "numErrors": 1,
                "startedAt": "x",
                "completedAt": "y",
            },
        )

    route = router.post(f"{FLOWS}/batch/read").mock(side_effect=echo)
    ids = [str(n) for n in range(FLOW_BATCH_READ_MAX + 50)]

    flows = await client.batch_read_flows([*ids, "0"])

    assert route.call_count == 2
    first = json.loads(route.calls[0].request.content)["inputs"]
    assert len(first) == FLOW_BATCH_READ_MAX
    assert first[0] == {"flowId": "0", "type": "FLOW_ID"}
    assert len(flows) == len(ids) - 2  # the first of each chunk "could not be read"


async def test_batch_read_of_nothing_makes_no_call(
    router: respx.MockRouter, client: HubSpotClient
) -> None:
    route = router.post(f"{FLOWS}/batch/read")

    assert await client.batch_read_flows([]) == []
    assert route.call_count == 0


async def test_get_and_put_flow(router: respx.MockRouter, client: HubSpotClient) -> None:
    router.get(f"{FLOWS}/123").mock(return_value=httpx.Response(200, json={"id": "123"}))
    put = router.put(f"{FLOWS}/123").mock(
        return_value=httpx.Response(200, json={"id": "123", "revisionId": "8"})
    )

    assert (await client.get_flow("123"))["id"] == "123"
    updated = await client.put_flow("123", {"isEnabled": False, "revisionId": "7"})

    assert updated["revisionId"] == "8"
    assert json.loads(put.calls.last.request.content) == {"isEnabled": False, "revisionId": "7"}


async def test_flow_ids_cannot_escape_the_path(client: HubSpotClient) -> None:
    with pytest.raises(ValueError, match="path segment"):
        await client.get_flow("../../account-info")


async def test_version_segments_are_configurable(
    router: respx.MockRouter, make_http: MakeHttp
) -> None:
    credentials = HUBSPOT_CREDENTIALS.validate_python({"auth": "token", "access_token": "t"})
    client = HubSpotClient(
        make_http("hubspot"),
        credentials,
        usage_api_version="2026-03",
        flows_api_version="2026-09-beta",
    )
    usage = router.get(f"{BASE}/account-info/2026-03/api-usage/daily/private-apps").mock(
        return_value=httpx.Response(200, json={"results": [usage_entry()]})
    )
    flow = router.get(f"{BASE}/automation/2026-09-beta/flows/9").mock(
        return_value=httpx.Response(200, json={"id": "9"})
    )

    await client.daily_usage()
    await client.get_flow("9")

    assert (usage.call_count, flow.call_count) == (1, 1)


def test_the_client_needs_a_hubspot_http(make_http: MakeHttp) -> None:
    credentials = HUBSPOT_CREDENTIALS.validate_python({"auth": "token", "access_token": "t"})

    with pytest.raises(ValueError, match="HubSpot PlatformHttp"):
        HubSpotClient(make_http("salesforce"), credentials)
