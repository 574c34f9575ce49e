"""`apibrake brake`, `apibrake release` and `apibrake incidents`: the incident commands."""

from __future__ import annotations

import getpass
from datetime import UTC, datetime
from typing import Any

import click

from apibrake.incident.records import IncidentMeta, JournalRow
from apibrake.incident.report_rows import journal_label
from apibrake.models.automation_text import state_text, with_label
from apibrake.warn import wording
from apibrake_cli.connections import require_connection
from apibrake_cli.context import common_options, confirm, output, target
from apibrake_cli.errors import LIMIT_ADVICE, CliError, ExitCode
from apibrake_cli.incident_raise import raise_request_text
from apibrake_cli.incident_state import (
    ALREADY_RUNNING,
    already_released,
    explain_busy,
    explain_interrupted,
    is_busy,
)
from apibrake_cli.output import Output, moment
from apibrake_cli.steps import command_line
from apibrake_cli.target import Target

FAILED_STATES = {"failed", "needs_human"}


# A failure's machine-readable code -> the exit code, most serious first.
_EXIT_BY_FAILURE = {
    "limit_exhausted": ExitCode.LIMIT_EXHAUSTED,
    "not_found": ExitCode.NOT_FOUND,
    "invalid": ExitCode.BAD_INPUT,
}


def report_exit_code(report: dict[str, Any]) -> ExitCode:
    if report.get("error") == "invalid_event":
        return ExitCode.BAD_INPUT
    if is_busy(report):
        return ExitCode.BUSY
    codes = {str(failure.get("code")) for failure in report.get("errors", [])}
    for code, exit_code in _EXIT_BY_FAILURE.items():
        if code in codes:
            return exit_code
    if report.get("errors") or not report.get("complete", True):
        return ExitCode.FAILED
    if any(row.get("status") in FAILED_STATES for row in report.get("rows", [])):
        return ExitCode.FAILED
    return ExitCode.OK


def show_report(out: Output, report: dict[str, Any], title: str, nothing: str) -> ExitCode:
    """The report as a table; `nothing` is said instead of an empty one."""
    code = report_exit_code(report)
    if out.json_mode:
        out.json(report)
    elif report.get("error") == ALREADY_RUNNING:
        out.say(f"{title}: {report.get('message')}; nothing done by this run.")
    elif not report.get("rows") and not report.get("errors") and not report.get("error"):
        out.say(f"{title}: {nothing}. {_calls_caption(report)}.")
    elif report.get("error") == "invalid_event":
        out.say(
            "The function refused the event: "
            f"field '{report.get('field')}': {report.get('message')}"
        )
    else:
        caption = _calls_caption(report)
        out.table(
            f"{title} — incident {report.get('incident_id')}"
            + (" (dry run)" if report.get("dry_run") else ""),
            ["connection", "automation", "status", "before", "after", "error"],
            [
                [
                    r["connection_id"],
                    with_label(f"{r.get('kind')}:{r['name']}", r.get("label")),
                    r["status"],
                    state_text(r.get("before")),
                    state_text(r.get("after")),
                    r.get("error"),
                ]
                for r in report.get("rows", [])
            ],
            caption=caption,
        )
        for failure in report.get("errors", []):
            out.say(f"{failure['connection_id']}: {failure['error']}")
        if not report.get("complete", True):
            out.say("Stopped at the function's deadline: run the same command again to resume.")
    if code is ExitCode.LIMIT_EXHAUSTED:
        out.note(f"Daily limit exhausted: {LIMIT_ADVICE}")
    return code


def _calls_caption(report: dict[str, Any]) -> str:
    """What the run spent; for a dry run, what the real one would: its reads (as the dry run
    made them) plus the changes it planned."""
    spent: dict[str, int] = report.get("api_calls") or {}
    if not report.get("dry_run"):
        return "API calls spent: " + (", ".join(f"{c} {n}" for c, n in spent.items()) or "none")
    planned: dict[str, int] = report.get("planned_calls") or {}
    parts = [
        f"{cid} {spent.get(cid, 0) + planned.get(cid, 0)} "
        f"({spent.get(cid, 0)} to read, as this dry run did, {planned.get(cid, 0)} to change)"
        for cid in sorted({*spent, *planned})
    ]
    return "API calls the real run would spend: " + (", ".join(parts) or "none")


@click.command()
@click.option("--connection", "connection_id", help="One connection [default: every connection].")
@click.option("--dry-run", is_flag=True, help="Read and plan only; change nothing.")
@click.option(
    "--tier",
    type=click.IntRange(1, 9),
    default=1,
    show_default=True,
    help="Brake entries of this tier and below.",
)
@click.option("--reason", required=True, help="Why (goes to the journal and the alert).")
@click.option("--requested-by", default=None, help="Who asks [default: your user name].")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@common_options
def brake(
    connection_id: str | None,
    dry_run: bool,
    tier: int,
    reason: str,
    requested_by: str | None,
    yes: bool,
) -> None:
    """Switch off the allowlisted automations (dry run first: it plans and changes nothing)."""
    out = output()
    event: dict[str, Any] = {
        "action": "brake",
        "dry_run": dry_run,
        "reason": reason,
        "tier": tier,
        "requested_by": requested_by or getpass.getuser(),
    }
    with target(out) as stack:
        if connection_id:
            require_connection(stack, connection_id)
            event["connection_id"] = connection_id
        if not dry_run:
            count = _allowlisted(stack, connection_id, tier)
            out.note(
                f"The brake switches off up to {count} allowlisted automations (tier <= {tier}) "
                f"of {connection_id or 'every connection'} in {stack.describe()}."
            )
            confirm("Brake now?", yes=yes)
        cids = [connection_id] if connection_id else _connection_ids(stack)
        report = _invoke(out, stack, "brake", event, cids)
        nothing = (
            f"nothing allowlisted at tier <= {tier} (see: {command_line('allowlist', 'list')})"
        )
        code = show_report(out, report, "Brake", nothing)
        if is_busy(report):
            explain_busy(out, stack.journal, cids, "Run the same command again later.")
    if code is ExitCode.OK and not report.get("rows") and not report.get("errors"):
        code = ExitCode.NOT_FOUND  # nothing allowlisted: no brake happened
    if code is ExitCode.OK and not out.json_mode and report.get("rows"):
        if dry_run:
            out.say("Nothing changed. Brake for real: the same command without --dry-run.")
        else:
            release = command_line("release", "--incident", str(report.get("incident_id")))
            out.say(f"Release later with: {release}")
    raise click.exceptions.Exit(int(code))


def _allowlisted(stack: Target, connection_id: str | None, tier: int) -> int:
    ids = [connection_id] if connection_id else _connection_ids(stack)
    return sum(1 for cid in ids for e in stack.allowlist.for_connection(cid)[0] if e.tier <= tier)


def _connection_ids(stack: Target) -> list[str]:
    return [c.connection_id for c in stack.connections.load()[0]]


def _invoke(
    out: Output, stack: Target, action: str, event: dict[str, Any], cids: list[str]
) -> dict[str, Any]:
    """The function's report; on Ctrl-C, what may be left open and how to resume."""
    role = "brake" if action == "brake" else "restore"
    try:
        with out.err.status(
            f"{'incident_responder' if role == 'brake' else 'restore'} is working…"
        ):
            return stack.invoke(role, event)
    except KeyboardInterrupt:
        explain_interrupted(out, action, stack.journal, cids)
        raise click.exceptions.Exit(int(ExitCode.INTERRUPTED)) from None


@click.command()
@click.option(
    "--incident", "incident_id", help="The incident to release [default: every recovered one]."
)
@click.option("--dry-run", is_flag=True, help="Plan only; change nothing.")
@click.option(
    "--force",
    is_flag=True,
    help="Release even if the window has not recovered (held automations stay held).",
)
@click.option(
    "--include",
    "include",
    multiple=True,
    metavar="KIND:NAME",
    help="Release this held automation too (a driver of the burn, once fixed). Repeatable.",
)
@common_options
def release(incident_id: str | None, dry_run: bool, force: bool, include: tuple[str, ...]) -> None:
    """Put back what a brake switched off, exactly as it was.

    An automation that drove the burn and is unchanged since the brake is held braked;
    fix it (a new flow version, a new workflow revision is seen as fixed), or name it with
    --include to release it anyway."""
    out = output()
    for option, given in (("--force", force), ("--include", include)):
        if given and not incident_id:
            raise CliError(
                f"{option} needs --incident ID",
                code=ExitCode.BAD_INPUT,
                hint=f"list them with {command_line('incidents')}",
            )
    if incident_id:
        event: dict[str, Any] = {
            "action": "release",
            "incident_id": incident_id,
            "dry_run": dry_run,
            "force": force,
        }
        if include:
            event["include"] = list(include)
    else:
        event = {"action": "release_recovered", "dry_run": dry_run}
    with target(out) as stack:
        meta = stack.journal.meta(incident_id) if incident_id else None
        if incident_id and meta is None:
            raise CliError(
                f"no incident {incident_id!r}",
                code=ExitCode.NOT_FOUND,
                hint=f"list them with {command_line('incidents')}",
            )
        if meta is not None and meta.is_shadow:
            raise CliError(
                f"{incident_id} is a shadow incident: it only planned the brake and changed "
                "nothing, so there is nothing to release",
                code=ExitCode.BAD_INPUT,
                hint=f"see the plan with {command_line('incidents', str(incident_id))}",
            )
        if meta is not None and meta.status == "closed" and not out.json_mode:
            already_released(out, meta)
            raise click.exceptions.Exit(int(ExitCode.OK))
        cids = [meta.connection_id] if meta else _connection_ids(stack)
        any_open = bool(stack.journal.open_incident_ids(cids))
        report = _invoke(out, stack, "release", event, cids)
        nothing = (
            "nothing left to release in this incident"
            if incident_id
            else f"no open incident has recovered yet (see: {command_line('incidents')})"
            if any_open
            else "no incident is open"
        )
        code = show_report(out, report, "Release", nothing)
        explain_held(out, report, force=force)
        if is_busy(report):
            explain_busy(out, stack.journal, cids, "Run the same command again later.")
    raise click.exceptions.Exit(int(code))


def explain_held(out: Output, report: dict[str, Any], *, force: bool) -> None:
    """Held rows stay braked on purpose: say why, and that --force does not change it."""
    held = [r for r in report.get("rows", []) if r.get("status") == "held"]
    if not held or out.json_mode:
        return
    names = ", ".join(f"{r.get('kind')}:{r['name']}" for r in held)
    out.say(
        f"Held braked (they drove the burn and are unchanged since the brake): {names}. "
        "Fix them, then release them with --include KIND:NAME"
        + ("; --force does not release held automations." if force else ".")
    )


def incident_list(stack: Target) -> list[dict[str, Any]]:
    return [
        {**meta.model_dump(mode="json"), "shadow": meta.is_shadow}
        for meta in stack.journal.incidents()
    ]


def _listed_status(incident: dict[str, Any]) -> str:
    """A shadow incident stands out in the history: a plan, not a brake."""
    return "shadow (plan only)" if incident.get("shadow") else str(incident.get("status"))


@click.command()
@click.argument("incident_id", required=False)
@click.option(
    "--raise-request",
    is_flag=True,
    help="Print the pre-filled request for more API calls (a Salesforce case, HubSpot's pack).",
)
@common_options
def incidents(incident_id: str | None, raise_request: bool) -> None:
    """Incident history, or the journal of one incident (what was changed, before and after)."""
    out = output()
    if raise_request and incident_id is None:
        raise CliError(
            "--raise-request needs an incident: the request is written from its journal",
            code=ExitCode.BAD_INPUT,
            hint=f"list them with {command_line('incidents')}, then "
            + command_line("incidents", "ID", "--raise-request"),
        )
    with target(out) as stack:
        if incident_id is None:
            metas = incident_list(stack)
            if out.json_mode:
                out.json({"incidents": metas})
            else:
                out.table(
                    "Incidents",
                    [
                        "incident",
                        "connection",
                        "opened",
                        "status",
                        "tier",
                        "reason",
                        "calls",
                        "closed",
                    ],
                    [
                        [
                            m["incident_id"],
                            m["connection_id"],
                            moment(m.get("opened_at")),
                            _listed_status(m),
                            m.get("tier"),
                            m.get("reason"),
                            m.get("api_calls"),
                            moment(m.get("closed_at")),
                        ]
                        for m in metas
                    ],
                )
            return
        meta = stack.journal.meta(incident_id)
        if meta is None:
            raise CliError(
                f"no incident {incident_id!r}",
                code=ExitCode.NOT_FOUND,
                hint=f"list them with {command_line('incidents')}",
            )
        rows = stack.journal.rows(incident_id)
        if raise_request:
            text = raise_request_text(stack, meta, rows)
            if out.json_mode:
                out.json({"incident_id": incident_id, "raise_request": text})
            else:
                click.echo(text)  # whole lines, never wrapped: text to paste into a case
            return
    if out.json_mode:
        out.json(
            {
                "incident": meta.model_dump(mode="json"),
                "rows": [r.model_dump(mode="json") for r in rows],
            }
        )
        return
    if meta.is_shadow:
        _show_shadow_plan(out, meta, rows)
        return
    out.say(
        f"Incident {meta.incident_id} on {meta.connection_id}: {meta.status}, "
        f"opened {moment(meta.opened_at)}"
        f", tier {meta.tier}, reason: {meta.reason or '-'} (by {meta.requested_by or '-'})"
    )
    out.table(
        "Journal",
        ["automation", "before", "brake", "after", "release", "restored", "error"],
        [
            [
                with_label(r.automation, journal_label(r)),
                state_text(r.before),
                r.brake.value,
                state_text(r.after),
                r.release.value if r.release else "-",
                state_text(r.restored),
                r.error or r.release_error or r.restore_note,
            ]
            for r in rows
        ],
    )
    story = wording.story(
        meta.suspects_before,
        meta.suspects_after,
        now=meta.closed_at or datetime.now(UTC),
        braked_at=meta.opened_at,
    )
    if story:  # who burned the calls: what to fix so the brake is not needed again
        out.say(story)


def _show_shadow_plan(out: Output, meta: IncidentMeta, rows: list[JournalRow]) -> None:
    """A shadow incident's journal is the brake's plan: what it would have changed."""
    out.say(
        f"Shadow incident {meta.incident_id} on {meta.connection_id} (auto_brake: shadow): "
        f"the brake was planned {moment(meta.opened_at)}, tier {meta.tier}, and nothing was "
        f"changed. Reason: {meta.reason or '-'}"
    )
    out.table(
        "Plan (nothing was changed)",
        ["automation", "before", "plan", "error"],
        [
            [
                with_label(r.automation, journal_label(r)),
                state_text(r.before),
                r.brake.value,
                r.error,
            ]
            for r in rows
        ],
        caption=f"API calls spent on the plan (reads only): {meta.api_calls.get('plan', 0)}",
    )
    story = wording.story(meta.suspects_before, None, now=meta.opened_at)
    if story:
        out.say(story)
