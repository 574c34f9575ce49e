"""`FlowDefinitionView.IsActive` means "the latest version is the active one": a flow running
an older version under a newer draft reads IsActive = false with an ActiveVersionId. The
evidence discover --suggest ranks by must count it as active."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from apibrake.platforms.salesforce import activity
from sandbox.server import Sandbox
from tests.sandbox.salesforce_support import OrgClient


class SandboxQueries:
    """The one method the evidence readers call, answered by the sandbox org."""

    def __init__(self, org: OrgClient) -> None:
        self.org = org

    async def query(self, soql: str) -> list[dict[str, Any]]:
        response = self.org.query(soql)
        assert response.status_code == 200, response.text
        records: list[dict[str, Any]] = response.json()["records"]
        return records


@pytest.fixture
def org(sandbox: Sandbox) -> Iterator[OrgClient]:
    client = OrgClient(sandbox).login()
    yield client
    client.close()


def test_a_flow_active_under_a_newer_draft_counts_as_active(org: OrgClient) -> None:
    org.org.add_flow("Edited_Rollup", versions=3, latest_is_draft=True)  # v2 on, v3 a draft
    org.org.add_flow("Switched_Off", versions=2, active_version=None)

    changes = asyncio.run(activity.flow_changes(SandboxQueries(org)))

    assert set(changes) == {"flow:Edited_Rollup"}
