"""Alerts of the brake and release: the incident summary, the critical "human must act", and
the critical "frozen, still spending" of a freeze that did not stop a user's calls, and
shadow mode's "would have braked"."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime

from apibrake.incident.adapters import adapter_for
from apibrake.models.alert import Alert, Severity
from apibrake.models.attribution import Suspects
from apibrake.models.automation_text import state_text
from apibrake.models.reports import AutomationRow, RowStatus
from apibrake.models.words import counted
from apibrake.warn import wording
from apibrake.warn.chain import when

_TROUBLE = {RowStatus.FAILED, RowStatus.NEEDS_HUMAN}
_SMS_SEGMENT = 160
_PLATFORM_NAMES = {"salesforce": "Salesforce", "hubspot": "HubSpot"}


def human_must_act(
    connection_id: str, platform: str, rows: Sequence[AutomationRow], why: str
) -> Alert:
    """The platform refuses calls (or too few remain): a person must switch these off now."""
    lines = [
        f"- {row.named_automation}" + (f" ({adapter_for(row.kind).by_hand})" if row.kind else "")
        for row in rows
    ]
    body = (
        f"apibrake could not brake connection {connection_id}: {why}\n\n"
        "Switch these off by hand now:\n" + "\n".join(lines) + "\n"
    )
    names = ", ".join(row.label or row.name for row in rows[:5]) + (" ..." if len(rows) > 5 else "")
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


FROZEN_STILL_SPENDING = "frozen_still_spending"  # the alert's kind (SNS attribute, event)
APP_STILL_SPENDING = "app_still_spending"
# Where a person ends what a freeze may leave alive (docs/runbook.md "After a user freeze").
REVOKE_TOKENS = (
    "Revoke the user's OAuth tokens: Setup > Apps > Connected Apps > Connected Apps OAuth "
    "Usage > the app > User Count > Revoke for this user (or Setup > Users > the user > "
    "OAuth Connected Apps: Revoke). Not reversible: the integration must authorize again."
)
END_ACCESS = (
    "Or end its access another way: deactivate the user (Setup > Users > Edit: Active off), "
    "block its connected app, or pause the integration at its source."
)


def frozen_still_spending(
    *,
    connection_id: str,
    platform: str,
    incident_id: str,
    user: str,
    user_id: str,
    frozen_at: datetime,
    counted_from: datetime,
    calls: int,
    at_least: bool,
    now: datetime,
) -> Alert:
    """A user the brake froze still makes API calls: its sessions or OAuth tokens from before
    the freeze work on (Salesforce does not say whether a freeze ends them)."""
    spent = ("at least " if at_least else "") + counted(calls, "API call")
    body = (
        f"apibrake froze Salesforce user {user} ({user_id}) at {when(frozen_at)} "
        f"(connection {connection_id}, incident {incident_id}), and the user is still "
        f"spending the org's calls: {spent} counted against the daily limit since "
        f"{when(counted_from)} (ApiTotalUsageEventLog, read {when(now)}).\n\n"
        "A freeze stops new logins. Whether it ends sessions and OAuth tokens issued before "
        "it is not documented by Salesforce (docs/platform-notes.md B8); for this user it "
        "did not. apibrake never revokes or deactivates anything: a person must.\n\n"
        f"What to do now:\n- {REVOKE_TOKENS}\n- {END_ACCESS}\n"
        "The user stays frozen until the release unfreezes it (the window recovered). "
        "This alert is sent once per incident and user.\n"
    )
    return Alert(
        # SNS cuts subjects at 100 characters: the count is in the body and the SMS.
        subject=f"[apibrake] CRITICAL {connection_id}: frozen user {user} still spending",
        body=body,
        sms=(
            f"apibrake {connection_id}: frozen user {user} still spending ({spent} since "
            f"{when(counted_from)}). Revoke its OAuth tokens."
        ),
        severity=Severity.CRITICAL,
        connection_id=connection_id,
        platform=platform,
        kind=FROZEN_STILL_SPENDING,
        incident_id=incident_id,
        next_steps=(REVOKE_TOKENS, END_ACCESS),
    )


def app_still_spending(
    *,
    connection_id: str,
    platform: str,
    incident_id: str,
    app: str,
    permission_set: str,
    counted_from: datetime,
    calls: int,
    at_least: bool,
    now: datetime,
) -> Alert:
    """A connected app the brake cut off from a permission set still makes API calls: its
    tokens from before work on, or it reaches the org another way."""
    spent = ("at least " if at_least else "") + counted(calls, "API call")
    steps = (
        f"Revoke the app's OAuth tokens: Setup > Connected Apps OAuth Usage > {app} > Revoke "
        "(not reversible: its users authorize again)",
        "Or freeze the user it runs as (allowlist `user:USERNAME` at tier 2) and pause the "
        "integration at its source",
    )
    body = (
        f"apibrake removed permission set {permission_set}'s access to connected app {app} "
        f"(connection {connection_id}, incident {incident_id}), and the app is still "
        f"spending the org's calls: {spent} counted against the daily limit since "
        f"{when(counted_from)} (ApiTotalUsageEventLog, read {when(now)}).\n\n"
        "Whether tokens issued before the removal keep working is not documented by "
        "Salesforce (docs/platform-notes.md S10); for this app they did, or another "
        "permission set or profile still grants it. apibrake never revokes anything: a "
        "person must.\n\nWhat to do now:\n- " + "\n- ".join(steps) + "\n"
        "This alert is sent once per incident and app.\n"
    )
    return Alert(
        subject=f"[apibrake] CRITICAL {connection_id}: app {app[:40]} still spending",
        body=body,
        sms=(
            f"apibrake {connection_id}: app {app} still spending ({spent} since "
            f"{when(counted_from)}). Revoke its OAuth tokens."
        ),
        severity=Severity.CRITICAL,
        connection_id=connection_id,
        platform=platform,
        kind=APP_STILL_SPENDING,
        incident_id=incident_id,
        next_steps=steps,
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
    """One line per automation with its state before and after, then what the changes mean,
    once per kind of note (HubSpot: off is not a pause)."""
    lines = [
        f"{row.status.value:12} {row.named_automation}"
        + _change_text(row)
        + (f"  ({row.error})" if row.error else "")
        for row in rows
    ]
    notes = list(dict.fromkeys(row.note for row in rows if row.note))
    return "\n".join(lines) + "\n" + "".join(f"\nNote: {note}.\n" for note in notes)


def _change_text(row: AutomationRow) -> str:
    """`: active_version=3 -> no active version`; the state alone when nothing changed it,
    nothing when no state was recorded."""
    if not row.after:
        return f": {state_text(row.before)}" if row.before else ""
    return f": {state_text(row.before)} -> {state_text(row.after)}"


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
        f"Check by hand: {row.named_automation}" + (f" ({row.error})" if row.error else "")
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


# A row's state before: enough to recognise it, short enough for an email line.
_BEFORE_SHOWN = 120


def would_have_braked(
    *,
    connection_id: str,
    platform: str,
    incident_id: str,
    rows: Sequence[AutomationRow],
    reason: str,
    calls: int,
    planned_calls: int,
    before: Suspects | None = None,
    now: datetime | None = None,
) -> Alert:
    """Shadow mode's alert (auto_brake: shadow): where the automatic brake would have started,
    what it would have switched off, with each automation's state before, and that nothing
    changed. A warning, not critical: nothing stopped, and the threshold alerts still go out."""
    planned = [row for row in rows if row.status is RowStatus.WOULD_BRAKE]
    failing = [row for row in rows if row.status in _TROUBLE]
    left = [row for row in rows if row.status is not RowStatus.WOULD_BRAKE and row not in failing]
    resolved = _resolved(rows, before)
    story = wording.story(resolved, None, now=now or datetime.now(UTC), braked_at=None)
    sections = [
        f"Shadow mode (auto_brake: shadow) on connection {connection_id}: the automatic brake "
        f"would have started now. Nothing was changed on "
        f"{_PLATFORM_NAMES.get(platform, 'the platform')}.",
        f"Why: {reason}" if reason else "",
        _planned_text(planned),
        (
            "The real brake would have FAILED on these (fix them before trusting the "
            "auto-brake: `apibrake connections test`):\n" + _rows_text(failing)
        )
        if failing
        else "",
        ("It would have left alone:\n" + _rows_text(left)) if left else "",
        f"API calls spent on the plan (reads only): {calls}; the real brake would have spent "
        f"{planned_calls} more to make and verify the changes.",
        f"Shadow incident {incident_id}: `apibrake incidents {incident_id}` shows the plan. It "
        "is never released and never blocks a real brake.",
        story,
    ]
    count = len(planned)
    failed = f", would have failed on {len(failing)}" if failing else ""
    return Alert(
        subject=(
            f"[apibrake] WARNING {connection_id}: shadow: would have braked {count} "
            f"{'automation' if count == 1 else 'automations'}{failed}, nothing changed"
        ),
        body="\n\n".join(section.strip("\n") for section in sections if section) + "\n",
        sms=_shadow_sms(connection_id, planned),
        severity=Severity.WARNING,
        connection_id=connection_id,
        platform=platform,
        kind="shadow_brake",
        incident_id=incident_id,
        dry_run=True,
        next_steps=(
            f"See the plan: `apibrake incidents {incident_id}`",
            "After a week of shadow incidents that were all brakes you want: set auto_brake "
            "to true (docs/runbook.md, Reading a week of shadow incidents)",
        ),
        suspects=wording.story_line(resolved, None),
        attribution=resolved,
    )


def _planned_text(planned: Sequence[AutomationRow]) -> str:
    if not planned:
        return "It would have braked nothing: no allowlisted automation is running."
    lines = [f"  - {row.named_automation}, before: {_before(row)}" for row in planned]
    notes = list(dict.fromkeys(row.note for row in planned if row.note))
    return (
        "It would have braked:\n"
        + "\n".join(lines)
        + "".join(f"\n\nNote (for the real brake): {note}." for note in notes)
    )


def _before(row: AutomationRow) -> str:
    before = {key: value for key, value in (row.before or {}).items() if value is not None}
    shown = ", ".join(f"{key}={value}" for key, value in before.items()) or "unknown"
    return shown if len(shown) <= _BEFORE_SHOWN else shown[: _BEFORE_SHOWN - 3] + "..."


def _shadow_sms(connection_id: str, planned: Sequence[AutomationRow]) -> str:
    names = ", ".join(row.label or row.name for row in planned[:3]) + (
        " ..." if len(planned) > 3 else ""
    )
    text = f"apibrake WARNING {connection_id}: shadow: would have braked {len(planned)}"
    text += f" ({names}). Nothing changed." if names else ". Nothing changed."
    return text if len(text) <= _SMS_SEGMENT else text[: _SMS_SEGMENT - 3] + "..."
