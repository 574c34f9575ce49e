"""Shared fixtures of the sandbox tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.server import Sandbox
from tests.sandbox.salesforce_support import OrgClient


@pytest.fixture
def sf(sandbox: Sandbox) -> Iterator[OrgClient]:
    """A client of the sandbox org, logged in (client credentials)."""
    client = OrgClient(sandbox).login()
    yield client
    client.close()
