"""Whether an org may run past 100 % of its daily API limit, from its kind."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from apibrake.models.entitlement import Entitlement

T0 = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"org_type": "Enterprise Edition"}, None),
        ({"org_type": "Unlimited Edition", "sandbox": True}, "a sandbox"),
        ({"org_type": "Developer Edition"}, "a Developer Edition org"),
        ({"org_type": "Enterprise Edition", "trial": True}, "a trial org"),
    ],
)
def test_only_paid_orgs_in_active_status_have_overage(
    fields: dict[str, object], reason: str | None
) -> None:
    entitlement = Entitlement(connection_id="sf", read_at=T0, **fields)  # type: ignore[arg-type]
    assert entitlement.no_overage_reason == reason


def test_the_30_day_share_needs_both_figures() -> None:
    assert Entitlement(connection_id="sf", read_at=T0).percent_30d is None
    full = Entitlement(connection_id="sf", read_at=T0, used_30d=1.5e6, allowed_30d=3e6)
    assert full.percent_30d == pytest.approx(50.0)
