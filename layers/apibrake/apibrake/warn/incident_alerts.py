"""Alerts of the brake and release: the incident summary and the critical "human must act"."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime

from apibrake.incident.adapters import adapter_for
from apibrake.models.alert import Alert, Severity
from apibrake.models.attribution import Suspects
from apibrake.models.reports import AutomationRow, RowStatus
from apibrake.warn import suspects as wording

_TROUBLE = {RowStatus.FAILED, RowStatus.NEEDS_HUMAN}


def human_must_act(
    connection_id: str, platform: str, rows: Sequence[AutomationRow], why: str
) -> Alert:
    """The platform refuses calls (or too few remain): a person must switch these off now."""
    lines = [
        f"- {row.kind.value if row.kind else '?'}:{row.name}"
        + (f" ({adapter_for(row.kind).by_hand})" if row.kind else "")
        for row in rows
    ]
    body = (
        f"apibrake could not brake connection {connection_id}: {why}\n\n"
        "Switch these off by hand now:\n" + "\n".join(lines) + "\n"
    )
    names = ", ".join(row.name for row in rows[:5]) + (" ..." if len(rows) > 5 else "")
    return Alert(
        subject=f"[apibrake] CRITICAL {connection_id}: human must act, brake blocked",
        body=body,
        sms=f"apibrake {connection_id}: brake blocked ({why[:60]}). Turn off by hand: {names}",
        severity=Severity.CRITICAL,
        connection_id=connection_id,
        platform=platform,
        kind="human_must_act",
        next_steps=tuple(f"Switch off by hand: {line.removeprefix('- ')}" for line in lines),
    )


def summary_alert(
    *,
    action: str,
    incident_id: str,
    connection_id: str,
    platform: str,
    rows: Sequence[AutomationRow],
    calls: int,
    dry_run: bool,
    complete: bool,
    before: Suspects | None = None,
    after: Suspects | None = None,
    now: datetime | None = None,
    braked_at: datetime | None = None,
) -> Alert:
    """The brake's or release's summary; `before` and `after` say who burned the calls
    before the brake and since (the brake report has `before` only)."""
    before, after = _resolved(rows, before), _resolved(rows, after)
    story = wording.story(before, after, now=now or datetime.now(UTC), braked_at=braked_at)
    counts = Counter(row.status.value for row in rows)
    tally = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "no automations"
    trouble = [row for row in rows if row.status in _TROUBLE]
    # The news of a brake went out as the critical threshold alert; its report (and a
    # release: good news) is for the record, so info. Rows a person must take over are
    # news again: critical.
    severity = Severity.CRITICAL if trouble else Severity.INFO
    label = f"{'dry run ' if dry_run else ''}{action}"
    body = (
        f"apibrake {label} of connection {connection_id}, incident {incident_id}: {tally}.\n"
        f"API calls spent: {calls}."
        + ("" if complete else "\nNot complete (deadline): invoke again to resume.")
        + "\n\n"
        + _rows_text(rows)
        + (f"\n{story}\n" if story else "")
    )
    return Alert(
        subject=f"[apibrake] {severity.value.upper()} {connection_id}: {label} - {tally}",
        body=body,
        sms=f"apibrake {label} {connection_id}: {tally}"
        + (f"; {len(trouble)} need a human" if trouble else ""),
        severity=severity,
        connection_id=connection_id,
        platform=platform,
        kind=action,
        incident_id="" if dry_run else incident_id,
        dry_run=dry_run,
        next_steps=_summary_steps(action, incident_id, connection_id, trouble, dry_run, complete),
        suspects=wording.story_line(before, after),
        attribution=after or before,
    )


def _rows_text(rows: Sequence[AutomationRow]) -> str:
    """One line per automation, then what the changes mean, once per kind of note (HubSpot:
    off is not a pause)."""
    lines = [
        f"{row.status.value:12} {row.kind.value if row.kind else '?'}:{row.name}"
        + (f"  ({row.error})" if row.error else "")
        for row in rows
    ]
    notes = list(dict.fromkeys(row.note for row in rows if row.note))
    return "\n".join(lines) + "\n" + "".join(f"\nNote: {note}.\n" for note in notes)


def _resolved(rows: Sequence[AutomationRow], suspects: Suspects | None) -> Suspects | None:
    """The suspects with each automation's place on the allowlist (the rows are its entries)."""
    if suspects is None:
        return None
    return wording.resolved(suspects, {f"{row.kind.value}:{row.name}" for row in rows if row.kind})


def _summary_steps(
    action: str,
    incident_id: str,
    connection_id: str,
    trouble: Sequence[AutomationRow],
    dry_run: bool,
    complete: bool,
) -> tuple[str, ...]:
    """What to do after a brake or release, exact commands first."""
    steps = [
        f"Check by hand: {row.kind.value if row.kind else '?'}:{row.name}"
        + (f" ({row.error})" if row.error else "")
        for row in trouble
    ]
    if dry_run:
        if action == "brake":
            steps.append(
                f'Brake for real: `apibrake brake --connection {connection_id} --reason "..."`'
            )
    elif not complete:
        steps.append(
            f"Resume (the deadline stopped it): `apibrake {action} --incident {incident_id}`"
        )
    elif action == "brake":
        steps.append(
            "Released automatically once the window recovers; release now: "
            f"`apibrake release --incident {incident_id}`"
        )
    elif not trouble:
        steps.append(f"Nothing left to do; the record: `apibrake incidents {incident_id}`")
    return tuple(steps)
