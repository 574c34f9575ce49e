"""Who the simulated portal lets in: the private-app token, OAuth refresh and its expiry."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from sandbox.hubspot import HubSpotSettings
from tests.sandbox.hubspot_support import RunningPortal, running_portal

USAGE = "/account-info/v3/api-usage/daily/private-apps"


@pytest.fixture
def hs() -> Iterator[RunningPortal]:
    with running_portal() as running:
        yield running


def test_private_app_token_is_accepted_and_counted(hs: RunningPortal) -> None:
    response = hs.get(USAGE)

    assert response.status_code == 200
    assert hs.portal.usage()[0] == 1


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic abc", "Bearer"])
def test_missing_or_unknown_credentials_get_401_and_are_not_counted(
    hs: RunningPortal, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}

    response = hs.client.get(USAGE, headers=headers)

    assert response.status_code == 401
    body = response.json()
    assert body["status"] == "error"
    assert body["category"] == "INVALID_AUTHENTICATION"
    assert body["message"].startswith("Authentication credentials not found")
    assert body["correlationId"]
    assert hs.portal.usage()[0] == 0


def test_refresh_token_grant_returns_a_working_access_token(hs: RunningPortal) -> None:
    response = hs.refresh()

    assert response.status_code == 200
    grant = response.json()
    assert grant["token_type"] == "bearer"
    assert grant["expires_in"] == 1800
    assert grant["refresh_token"] == hs.portal.settings.refresh_token
    assert hs.get(USAGE, token=grant["access_token"]).status_code == 200
    # The token endpoint itself is free; the usage call is not.
    assert hs.portal.usage()[0] == 1


@pytest.mark.parametrize(
    ("field", "category"),
    [
        ("grant_type", "BAD_GRANT_TYPE"),
        ("client_id", "BAD_CLIENT_ID"),
        ("client_secret", "BAD_CLIENT_SECRET"),
        ("refresh_token", "BAD_REFRESH_TOKEN"),
    ],
)
def test_refresh_with_a_bad_value_is_refused(hs: RunningPortal, field: str, category: str) -> None:
    response = hs.refresh(**{field: "wrong"})

    assert response.status_code == 400
    body = response.json()
    assert body["category"] == category
    assert body["status"] == category
    assert body["message"]
    assert body["correlationId"]


def test_oauth_token_expires_after_its_ttl_in_virtual_time(hs: RunningPortal) -> None:
    token = hs.refresh().json()["access_token"]
    hs.clock.advance(timedelta(minutes=29))
    assert hs.get(USAGE, token=token).status_code == 200

    hs.clock.advance(timedelta(minutes=1))
    response = hs.get(USAGE, token=token)

    assert response.status_code == 401
    assert response.json()["category"] == "EXPIRED_AUTHENTICATION"


def test_expire_tokens_expires_every_issued_token_but_not_the_private_app_token(
    hs: RunningPortal,
) -> None:
    first, second = (hs.refresh().json()["access_token"] for _ in range(2))

    hs.portal.expire_tokens()

    for token in (first, second):
        assert hs.get(USAGE, token=token).json()["category"] == "EXPIRED_AUTHENTICATION"
    assert hs.get(USAGE).status_code == 200
    fresh = hs.refresh().json()["access_token"]
    assert hs.get(USAGE, token=fresh).status_code == 200


def test_custom_ttl_sets_expires_in() -> None:
    with running_portal(HubSpotSettings(oauth_token_ttl=timedelta(minutes=5))) as hs:
        assert hs.refresh().json()["expires_in"] == 300


def test_oauth_calls_carry_no_daily_headers(hs: RunningPortal) -> None:
    token = hs.refresh().json()["access_token"]

    oauth_response, private_response = hs.get(USAGE, token=token), hs.get(USAGE)

    assert "X-HubSpot-RateLimit-Daily" not in oauth_response.headers
    assert oauth_response.headers["X-HubSpot-RateLimit-Max"] == "190"
    assert private_response.headers["X-HubSpot-RateLimit-Daily"] == "250000"
