"""An automation activated after the newest data a ranking covers goes first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apibrake.attribution.gather import promote_new_activations
from apibrake.models.attribution import (
    AttributionSource,
    Consumer,
    ConsumerKind,
    SetupChange,
    Suspects,
)

NOW = datetime(2026, 11, 2, 13, 0, tzinfo=UTC)
YESTERDAY_ENDS = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)


def _activation(at: datetime, name: str, *, action: str = "activatedinteractiondefversion"):
    return SetupChange(
        at=at,
        who="admin@acme.example",
        action=action,
        display=f'Activated flow version #1 "Mass update" for flow with Unique Name "{name}"',
        automation=f"flow:{name}",
        allowlisted=True,
    )


def _suspects(*changes: SetupChange) -> Suspects:
    return Suspects(
        connection_id="sf-prod",
        source=AttributionSource.DAILY_FILE,
        data_as_of=YESTERDAY_ENDS,
        consumers=[Consumer(name="Background sync", kind=ConsumerKind.CONNECTED_APP, calls=900)],
        changes=list(changes),
    )


def test_a_flow_activated_after_the_data_goes_first_on_evidence() -> None:
    suspects = _suspects(_activation(NOW - timedelta(minutes=40), "Mass_Update_Accounts"))

    promote_new_activations(suspects)

    top = suspects.top
    assert top is not None
    assert (top.name, top.automation, top.allowlisted) == (
        "flow Mass_Update_Accounts",
        "flow:Mass_Update_Accounts",
        True,
    )
    assert top.evidence == (
        "activated 2026-11-02 12:20 UTC by admin@acme.example, after the newest data"
    )
    assert [c.name for c in suspects.consumers] == ["flow Mass_Update_Accounts", "Background sync"]


def test_an_activation_the_data_already_covers_and_a_deactivation_change_nothing() -> None:
    before = _activation(YESTERDAY_ENDS - timedelta(hours=3), "Old_Flow")
    off = _activation(NOW, "Other_Flow", action="deactivatedinteractiondefinition")
    suspects = _suspects(before, off)

    promote_new_activations(suspects)

    assert [c.name for c in suspects.consumers] == ["Background sync"]


def test_a_run_mode_change_is_no_activation() -> None:
    run_mode = _activation(
        NOW - timedelta(minutes=30),
        "Mass_Update_Accounts",
        action="activatedinteractiondefversionWithSystemMode",
    )
    suspects = _suspects(run_mode)

    promote_new_activations(suspects)

    assert [c.name for c in suspects.consumers] == ["Background sync"]


def test_apibrakes_own_reactivation_at_release_is_no_evidence() -> None:
    released = _activation(NOW - timedelta(minutes=30), "Account_Rollup").model_copy(
        update={"by_apibrake": True}
    )
    suspects = _suspects(released)

    promote_new_activations(suspects)

    assert [c.name for c in suspects.consumers] == ["Background sync"]
