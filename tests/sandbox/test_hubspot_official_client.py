"""HubSpot's own Python client (hubspot-api-client) works against the sandbox portal.

`base_url` points `api_request` at it; `host` points the generated API classes at it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hubspot import HubSpot

from tests.sandbox.hubspot_support import RunningPortal, running_portal


@pytest.fixture
def hs() -> Iterator[RunningPortal]:
    with running_portal() as running:
        running.portal.add_workflow("Lifecycle stage sync", flow_id="101")
        yield running


def test_api_request_reads_a_flow_and_the_daily_usage(hs: RunningPortal) -> None:
    client = HubSpot(access_token=hs.token, base_url=hs.url)

    flow = client.api_request({"method": "GET", "path": "/automation/v4/flows/101"})
    usage = client.api_request(
        {"method": "GET", "path": "/account-info/v3/api-usage/daily/private-apps"}
    )

    assert flow.status_code == 200
    assert flow.json()["name"] == "Lifecycle stage sync"
    assert usage.status_code == 200
    assert usage.json()["results"][0]["currentUsage"] == 2
    assert usage.headers["X-HubSpot-RateLimit-Daily-Remaining"] == str(250_000 - 2)


def test_api_request_disables_a_flow_with_a_put(hs: RunningPortal) -> None:
    client = HubSpot(access_token=hs.token, base_url=hs.url)
    flow = client.api_request({"method": "GET", "path": "/automation/v4/flows/101"}).json()
    read_only = ("id", "createdAt", "updatedAt", "dataSources", "crmObjectCreationStatus")
    body = {k: v for k, v in flow.items() if k not in (*read_only, "nextAvailableActionId")}
    body["isEnabled"] = False

    response = client.api_request(
        {"method": "PUT", "path": "/automation/v4/flows/101", "body": body}
    )

    assert response.status_code == 200
    assert hs.portal.workflow("101")["isEnabled"] is False
    assert hs.portal.workflow("101")["actions"] == flow["actions"]


def test_generated_oauth_api_refreshes_a_token(hs: RunningPortal) -> None:
    settings = hs.portal.settings
    client = HubSpot(host=hs.url)

    grant = client.oauth.tokens_api.create(
        grant_type="refresh_token",
        client_id=settings.oauth_client_id,
        client_secret=settings.oauth_client_secret,
        refresh_token=settings.refresh_token,
    )

    assert grant.expires_in == 1800
    with_token = HubSpot(access_token=grant.access_token, base_url=hs.url)
    details = with_token.api_request({"method": "GET", "path": "/account-info/v3/details"})
    assert details.json()["portalId"] == settings.portal_id
