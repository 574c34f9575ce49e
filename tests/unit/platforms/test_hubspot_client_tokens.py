from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from apibrake.http import TOKEN_CACHE, AuthenticationFailed, PlatformHttp
from apibrake.models.credentials import HUBSPOT_CREDENTIALS, HubSpotOAuth
from apibrake.platforms.hubspot.auth import OAuthTokenProvider
from apibrake.platforms.hubspot.client import HubSpotClient

pytestmark = pytest.mark.anyio

MakeHttp = Callable[..., PlatformHttp]
BASE = "http://127.0.0.1:8766"
TOKEN_URL = f"{BASE}/oauth/2026-03/token"
FLOW_URL = f"{BASE}/automation/2026-09-beta/flows/77"
REFRESH_TOKEN = "refresh-secret-value"
CLIENT_SECRET = "client-secret-value"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def oauth() -> HubSpotOAuth:
    credentials = HUBSPOT_CREDENTIALS.validate_python(
        {
            "auth": "oauth_refresh",
            "base_url": BASE,
            "client_id": "cid",
            "client_secret": CLIENT_SECRET,
            "refresh_token": REFRESH_TOKEN,
        }
    )
    assert isinstance(credentials, HubSpotOAuth)
    return credentials


def oauth_client(http: PlatformHttp, clock: Clock) -> HubSpotClient:
    tokens = OAuthTokenProvider(http, oauth(), connection_id="hs", clock=clock)
    return HubSpotClient(http, oauth(), tokens=tokens)


def token(value: str, expires_in: int = 1800) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "access_token": value,
            "refresh_token": REFRESH_TOKEN,
            "token_type": "bearer",
            "expires_in": expires_in,
        },
    )


async def test_refresh_posts_the_form_and_uses_the_token(
    router: respx.MockRouter, make_http: MakeHttp
) -> None:
    refresh = router.post(TOKEN_URL).mock(return_value=token("access-1"))
    flow = router.get(FLOW_URL).mock(return_value=httpx.Response(200, json={"id": "77"}))
    http = make_http("hubspot")

    await oauth_client(http, Clock()).get_flow("77")

    assert parse_qs(refresh.calls.last.request.content.decode()) == {
        "grant_type": ["refresh_token"],
        "client_id": ["cid"],
        "client_secret": [CLIENT_SECRET],
        "refresh_token": [REFRESH_TOKEN],
    }
    assert flow.calls.last.request.headers["Authorization"] == "Bearer access-1"
    assert (http.auth_calls, http.billable_calls) == (1, 1)


async def test_token_is_cached_until_a_minute_before_expiry(
    router: respx.MockRouter, make_http: MakeHttp
) -> None:
    refresh = router.post(TOKEN_URL).mock(side_effect=[token("a"), token("b")])
    flow = router.get(FLOW_URL).mock(return_value=httpx.Response(200, json={"id": "77"}))
    clock = Clock()

    await oauth_client(make_http("hubspot"), clock).get_flow("77")
    clock.now += 1800 - 61
    await oauth_client(make_http("hubspot"), clock).get_flow("77")  # another instance, cached
    clock.now += 2
    await oauth_client(make_http("hubspot"), clock).get_flow("77")  # within the margin

    assert refresh.call_count == 2
    assert [c.request.headers["Authorization"] for c in flow.calls] == [
        "Bearer a",
        "Bearer a",
        "Bearer b",
    ]


async def test_expired_authentication_refreshes_once_then_retries(
    router: respx.MockRouter, make_http: MakeHttp
) -> None:
    expired = httpx.Response(
        401,
        json={
            "status": "error",
            "message": "The OAuth token used to make this call expired",
            "correlationId": "c-9",
            "category": "EXPIRED_AUTHENTICATION",
        },
    )
    refresh = router.post(TOKEN_URL).mock(side_effect=[token("old"), token("new")])
    flow = router.get(FLOW_URL).mock(side_effect=[expired, httpx.Response(200, json={"id": "77"})])

    assert (await oauth_client(make_http("hubspot"), Clock()).get_flow("77"))["id"] == "77"
    assert (refresh.call_count, flow.call_count) == (2, 2)


async def test_a_static_token_is_not_refreshed_on_401(
    router: respx.MockRouter, make_http: MakeHttp
) -> None:
    flow = router.get("https://api.hubapi.com/automation/2026-09-beta/flows/77").mock(
        return_value=httpx.Response(
            401,
            json={
                "status": "error",
                "message": "Authentication credentials not found.",
                "correlationId": "c",
                "category": "INVALID_AUTHENTICATION",
            },
        )
    )
    credentials = HUBSPOT_CREDENTIALS.validate_python(
        {"auth": "token", "access_token": "pat-na1-secret"}
    )
    client = HubSpotClient(make_http("hubspot"), credentials)

    with pytest.raises(AuthenticationFailed) as raised:
        await client.get_flow("77")

    assert raised.value.code == "INVALID_AUTHENTICATION"
    assert flow.call_count == 1
    assert "pat-na1-secret" not in repr(client) + str(raised.value) + repr(credentials)


async def test_a_bad_refresh_token_fails_once_without_leaking(
    router: respx.MockRouter, make_http: MakeHttp
) -> None:
    refresh = router.post(TOKEN_URL).mock(
        return_value=httpx.Response(
            400,
            json={
                "status": "BAD_REFRESH_TOKEN",
                "message": "missing or unknown refresh token",
                "correlationId": "c-1",
            },
        )
    )
    flow = router.get(FLOW_URL)
    http = make_http("hubspot")
    client = oauth_client(http, Clock())

    with pytest.raises(AuthenticationFailed) as raised:
        await client.get_flow("77")

    assert raised.value.code == "BAD_REFRESH_TOKEN"
    assert (refresh.call_count, flow.call_count) == (1, 0)
    texts = str(raised.value) + repr(raised.value) + repr(client) + repr(http) + repr(TOKEN_CACHE)
    assert REFRESH_TOKEN not in texts
    assert CLIENT_SECRET not in texts
