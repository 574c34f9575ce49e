"""HubSpot's dated APIs in the sandbox: every version in shared/specs/hubspot/ answers to
its spec, service keys count only in the 2027-03-beta figure, and a version told to be past
its sunset answers as a removed endpoint (404)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.hubspot import HubSpotSettings
from tests.sandbox.hubspot_support import RunningPortal, running_portal
from tests.sandbox.test_hubspot_contract import SPEC_DIR, Spec

BETA_USAGE = "/account-info/2027-03-beta/api-usage/daily/private-apps"
GA_USAGE = "/account-info/2026-09/api-usage/daily/private-apps"
DATED = (
    "account-info-2026-09",
    "account-info-2027-03-beta",
    "automation-2026-09-beta",
    "oauth-2026-03",
)


@pytest.fixture(scope="module")
def spec() -> Spec:
    if not SPEC_DIR.is_dir():
        pytest.skip(
            f"HubSpot OpenAPI specs not found at {SPEC_DIR}: shared/ must sit beside the repo"
        )
    return Spec(SPEC_DIR, DATED)


@pytest.fixture
def hs() -> Iterator[RunningPortal]:
    with running_portal() as running:
        running.portal.add_workflow("Contact flow", flow_id="101")
        yield running


def _usage(hs: RunningPortal, path: str, token: str | None = None) -> dict[str, object]:
    response = hs.get(path, token=token)
    assert response.status_code == 200, response.text
    (entry,) = response.json()["results"]
    return dict(entry)


def test_the_dated_usage_and_flow_answers_match_their_specs(spec: Spec, hs: RunningPortal) -> None:
    spec.check(
        "account-info-2026-09", "CollectionResponseApiUsageNoPaging", hs.get(GA_USAGE).json()
    )
    beta = hs.get(BETA_USAGE).json()
    spec.check("account-info-2027-03-beta", "CollectionResponseApiUsageMarch2027NoPaging", beta)
    flow = hs.get("/automation/2026-09-beta/flows/101").json()
    spec.check_flow(flow, "automation-2026-09-beta")


def test_the_dated_oauth_token_answer_matches_its_spec(spec: Spec, hs: RunningPortal) -> None:
    answer = hs.refresh("2026-03")
    assert answer.status_code == 200
    spec.check("oauth-2026-03", "TokenResponseIF", answer.json())
    refused = hs.refresh("2026-03", refresh_token="nope")
    assert refused.status_code == 400
    assert refused.json()["status"] == "BAD_REFRESH_TOKEN"


def test_service_key_calls_count_only_in_the_beta_figure(hs: RunningPortal) -> None:
    key = hs.portal.settings.service_key
    for _ in range(3):
        assert hs.get("/automation/2026-09-beta/flows/101", token=key).status_code == 200
    legacy = _usage(hs, GA_USAGE)
    every = _usage(hs, BETA_USAGE, token=key)
    assert every["currentUsage"] == legacy["currentUsage"] + 3 + 1  # the beta read itself
    by_type = {t["appType"]: t["currentUsage"] for t in every["usageByAppType"]}  # type: ignore[attr-defined]
    assert by_type["SERVICE_KEY"] == 4


@pytest.mark.parametrize(
    ("mode", "status", "fetch_status"), [("refused", 403, None), ("notfound", 200, "NOTFOUND")]
)
def test_the_beta_usage_endpoint_can_refuse(
    mode: str, status: int, fetch_status: str | None
) -> None:
    with running_portal(HubSpotSettings(beta_usage=mode)) as hs:
        response = hs.get(BETA_USAGE)
        assert response.status_code == status
        if fetch_status:
            (entry,) = response.json()["results"]
            assert entry["fetchStatus"] == fetch_status
            assert "currentUsage" not in entry


@pytest.mark.parametrize(
    "path",
    [
        "/automation/v5/flows/101",
        "/account-info/2099-01/api-usage/daily/private-apps",
    ],
)
def test_an_unknown_version_is_not_served(hs: RunningPortal, path: str) -> None:
    assert hs.get(path).status_code == 404


def test_a_version_past_its_sunset_answers_as_removed() -> None:
    with running_portal(HubSpotSettings(retired_versions={"automation:v4", "oauth:v1"})) as hs:
        hs.portal.add_workflow("Contact flow", flow_id="101")
        assert hs.get("/automation/v4/flows/101").status_code == 404
        assert hs.get("/automation/2026-09-beta/flows/101").status_code == 200
        assert hs.refresh().status_code == 404
