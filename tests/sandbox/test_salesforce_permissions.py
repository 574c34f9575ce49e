"""An integration user without a permission: the org refuses the calls that need it."""

from __future__ import annotations

import httpx
import pytest

from tests.sandbox.salesforce_support import API, OrgClient


def _error_code(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()[0]["errorCode"]


def test_every_permission_is_held_by_default(sf: OrgClient) -> None:
    assert sf.get(f"{API}/limits").status_code == 200
    assert sf.query("SELECT Id FROM CronTrigger LIMIT 1").status_code == 200


def test_without_api_enabled_every_call_is_refused_and_not_counted(sf: OrgClient) -> None:
    sf.org.revoke_permissions("ApiEnabled")
    used_before, _ = sf.org.usage()
    response = sf.get(f"{API}/limits")
    assert _error_code(response) == (403, "API_DISABLED_FOR_ORG")
    assert sf.org.usage()[0] == used_before


def test_without_view_setup_limits_is_refused_and_setup_objects_are_hidden(
    sf: OrgClient,
) -> None:
    sf.org.revoke_permissions("ViewSetup")
    assert _error_code(sf.get(f"{API}/limits")) == (403, "INSUFFICIENT_ACCESS")
    hidden = sf.query("SELECT Id FROM CronTrigger LIMIT 1")
    assert _error_code(hidden) == (400, "INVALID_TYPE")
    assert "sObject type 'CronTrigger' is not supported" in hidden.json()[0]["message"]
    tooling = sf.query("SELECT Id FROM FlowDefinition LIMIT 1", tooling=True)
    assert _error_code(tooling) == (400, "INVALID_TYPE")


def test_without_manage_flows_an_activation_is_refused_and_nothing_changes(
    sf: OrgClient,
) -> None:
    flow = sf.org.add_flow("Account_Rollup", versions=2)
    sf.org.revoke_permissions("ManageInteraction")
    response = sf.patch_flow(flow.id, 0)
    assert _error_code(response) == (400, "INSUFFICIENT_ACCESS_OR_READONLY")
    assert sf.org.flow("Account_Rollup").active_version == 2


def test_without_author_apex_anonymous_apex_is_refused(sf: OrgClient) -> None:
    job = sf.org.add_scheduled_job("Nightly sync")
    sf.org.revoke_permissions("AuthorApex")
    response = sf.apex(f"System.abortJob('{job.cron_trigger_id}');")
    assert _error_code(response) == (403, "INSUFFICIENT_ACCESS")
    assert sf.org.job("Nightly sync") is not None


def test_revoking_an_unknown_permission_is_a_mistake(sf: OrgClient) -> None:
    with pytest.raises(ValueError, match="ManageFlow"):
        sf.org.revoke_permissions("ManageFlow")
