"""A token without a scope: the portal answers 403 MISSING_SCOPES naming it."""

from __future__ import annotations

from sandbox.hubspot import HubSpotSettings
from tests.sandbox.hubspot_support import running_portal


def test_a_call_needing_a_scope_the_token_lacks_names_it() -> None:
    with running_portal(HubSpotSettings(granted_scopes=frozenset({"oauth"}))) as hs:
        refused = hs.get("/automation/v4/flows")
        usage = hs.get("/account-info/v3/api-usage/daily/private-apps")
    assert refused.status_code == 403
    body = refused.json()
    assert body["category"] == "MISSING_SCOPES"
    assert body["errors"][0]["context"]["requiredGranularScopes"] == ["automation"]
    assert usage.status_code == 200


def test_every_scope_is_granted_by_default() -> None:
    with running_portal() as hs:
        assert hs.get("/automation/v4/flows").status_code == 200
