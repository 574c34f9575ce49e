"""The soft limit's fallback for an org whose entitlement was never read: only a reading past
100 % shows a paid org (only a paid org is served past its limit); at exactly 100 % it may be
a sandbox, Developer Edition or trial org, so nothing is claimed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import pytest

from apibrake.models.connection import Connection
from apibrake.models.entitlement import Entitlement
from apibrake.watch.overage import reading_entitlement
from apibrake.watch.ports import ReadingStore

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
ORG = Connection(connection_id="sf-prod", platform="salesforce", secret_id="apibrake/sf-prod")


class Entitlements:
    def __init__(self, stored: Entitlement | None) -> None:
        self.stored = stored

    def get(self, connection_id: str) -> Entitlement | None:
        return self.stored


class State:
    def __init__(self, stored: Entitlement | None = None) -> None:
        self._entitlements = Entitlements(stored)

    def entitlements(self) -> Entitlements:
        return self._entitlements


def entitlement_at(percent: float, stored: Entitlement | None = None) -> Entitlement | None:
    return reading_entitlement(cast(ReadingStore, cast(Any, State(stored))), ORG, percent, NOW)


@pytest.mark.parametrize(
    ("percent", "counts_as_paid"),
    [(99.9, False), (100.0, False), (100.5, True)],
)
def test_an_org_never_read_counts_as_paid_only_past_its_limit(
    percent: float, counts_as_paid: bool
) -> None:
    found = entitlement_at(percent)
    assert (found is not None and found.no_overage_reason is None) is counts_as_paid


def test_a_stored_entitlement_is_what_counts_at_100_percent() -> None:
    sandbox = Entitlement(connection_id="sf-prod", read_at=NOW, sandbox=True)
    assert entitlement_at(100.0, sandbox) == sandbox
