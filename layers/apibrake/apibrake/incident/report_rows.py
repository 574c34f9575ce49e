"""Journal rows -> report rows, one per automation (docs/configuration.md, Reports)."""

from __future__ import annotations

from apibrake.incident.adapters import adapter_for
from apibrake.incident.records import BrakeState, JournalRow, ReleaseState
from apibrake.models.reports import AutomationRow, RowStatus

NOT_REACHED = "not reached before the deadline: invoke again to resume"

_BRAKE_STATUS = {
    BrakeState.BRAKED: RowStatus.BRAKED,
    BrakeState.ALREADY_OFF: RowStatus.ALREADY_OFF,
    BrakeState.FAILED: RowStatus.FAILED,
    BrakeState.NEEDS_HUMAN: RowStatus.NEEDS_HUMAN,
    BrakeState.SKIPPED: RowStatus.SKIPPED,
    BrakeState.PENDING: RowStatus.SKIPPED,
    BrakeState.WOULD_BRAKE: RowStatus.WOULD_BRAKE,
}
_RELEASE_STATUS = {
    ReleaseState.RELEASED: RowStatus.RELEASED,
    ReleaseState.NEEDS_HUMAN: RowStatus.NEEDS_HUMAN,
    ReleaseState.FAILED: RowStatus.FAILED,
    ReleaseState.NOTHING: RowStatus.SKIPPED,
    ReleaseState.PENDING: RowStatus.SKIPPED,
    ReleaseState.HELD: RowStatus.HELD,
}


def journal_label(row: JournalRow) -> str | None:
    """The name the platform shows for the row's automation (a HubSpot workflow's), from
    the state the journal recorded."""
    return adapter_for(row.kind).label(row.before or row.after)


def brake_row(row: JournalRow, *, would_brake: bool = False) -> AutomationRow:
    """The row as the brake reports it; a planned one (dry run, shadow) shows as `after`
    the state the brake would leave."""
    adapter = adapter_for(row.kind)
    would_brake = would_brake or row.brake is BrakeState.WOULD_BRAKE
    status = RowStatus.WOULD_BRAKE if would_brake else _BRAKE_STATUS[row.brake]
    error = row.error
    if row.brake is BrakeState.PENDING and not would_brake:
        error = error or NOT_REACHED
    note = None
    if row.brake is BrakeState.BRAKED and not row.restorable:
        error = row.restore_note
    elif status in (RowStatus.BRAKED, RowStatus.WOULD_BRAKE):
        note = row.restore_note or adapter.off_note
    return AutomationRow(
        platform=row.platform,
        connection_id=row.connection_id,
        kind=row.kind,
        name=row.name,
        label=journal_label(row),
        before=row.before,
        after=adapter.planned_after(row) if would_brake else row.after,
        status=status,
        error=error,
        note=note,
    )


def release_row(row: JournalRow, *, would_release: bool = False) -> AutomationRow:
    """The row as the release reports it: `before` is what the brake left; a planned one
    (dry run) shows as `after` the state the release would put back."""
    adapter = adapter_for(row.kind)
    if would_release:
        status = RowStatus.WOULD_RELEASE
    elif row.release is None:
        status = RowStatus.SKIPPED
    else:
        status = _RELEASE_STATUS[row.release]
    error = row.release_error
    if row.release is ReleaseState.NOTHING:
        error = error or f"nothing to restore (brake: {row.brake.value})"
    elif row.release is ReleaseState.PENDING or (row.release is None and not would_release):
        error = error or NOT_REACHED
    return AutomationRow(
        platform=row.platform,
        connection_id=row.connection_id,
        kind=row.kind,
        name=row.name,
        label=journal_label(row),
        before=row.after,
        after=adapter.planned_restore(row) if would_release else row.restored,
        status=status,
        error=error,
        note=adapter.off_note if status in (RowStatus.RELEASED, RowStatus.WOULD_RELEASE) else None,
    )
