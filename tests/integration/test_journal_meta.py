"""The incident header's updates: a field set back to None is removed, so a rehearsal's
mark (`only`) that a real brake cleared does not linger on the real incident."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apibrake.incident.journal import JournalStore
from apibrake.incident.records import IncidentMeta
from apibrake.models.connection import Platform
from localaws import LocalAws

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def test_a_cleared_field_is_removed_and_a_held_lease_stays(aws: LocalAws) -> None:
    journal = JournalStore(aws.client("dynamodb"), aws.table_name("StateTable"))
    meta, _ = journal.open_incident(
        IncidentMeta(
            incident_id="sf-prod-rehearsal",
            connection_id="sf-prod",
            platform=Platform.SALESFORCE,
            opened_at=T0,
            only=["flow:apibrake_Canary"],
        )
    )
    assert journal.acquire_lease(meta.incident_id, "me", now=T0, until=T0 + timedelta(minutes=15))

    journal.save_meta(meta.model_copy(update={"only": None, "reason": "a real brake joined"}))

    stored = journal.meta(meta.incident_id)
    assert stored is not None
    assert stored.only is None
    assert stored.reason == "a real brake joined"
    assert journal.lease_until(meta.incident_id) == T0 + timedelta(minutes=15)
