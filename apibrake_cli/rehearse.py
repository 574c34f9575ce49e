"""`apibrake rehearse CONNECTION`: brake and release the canaries through the incident
functions, and prove the release exact.

Each canary kind is rehearsed in an incident of its own (a brake event whose `only` names
that canary alone, then a forced release of that incident), so the calls and the time each
kind costs are its own, and one kind that fails leaves the others proven. The outcome per
kind goes to the state table, where `apibrake connections test` shows it.
"""

from __future__ import annotations

import asyncio
import getpass
import time
from datetime import UTC, datetime
from typing import Any

import click

from apibrake.http.errors import PlatformError
from apibrake.http.transport import platform_client
from apibrake.models.connection import Connection, Platform
from apibrake.models.rehearsal import RehearsalRecord
from apibrake.platforms.connect import connect
from apibrake.rehearsal.canaries import canary_entry
from apibrake.rehearsal.exactness import release_differences
from apibrake.rehearsal.find import Canary, hubspot_canary, salesforce_canaries
from apibrake_cli.connections import require_connection
from apibrake_cli.context import common_options, output, target
from apibrake_cli.errors import CliError, ExitCode
from apibrake_cli.output import moment
from apibrake_cli.steps import command_line
from apibrake_cli.target import Target

REASON = "rehearsal (apibrake rehearse): the canary only"


@click.command()
@click.argument("connection_id")
@click.option(
    "--create-canary",
    is_flag=True,
    help="HubSpot: create the canary workflow (off, enrolling nobody) if the portal has none.",
)
@common_options
def rehearse(connection_id: str, create_canary: bool) -> None:
    """Brake and release only the canaries (harmless automations of fixed names) through
    the incident functions, and check the release put back exactly what the brake found.
    Run it in a Salesforce sandbox org first, then in production, before auto-brake."""
    out = output()
    with target(out) as stack:
        connection = require_connection(stack, connection_id)
        open_id = stack.journal.open_incident_id(connection_id)
        if open_id is not None:
            raise CliError(
                f"incident {open_id} is open on {connection_id}: a rehearsal never joins it",
                code=ExitCode.FAILED,
                hint=f"rehearse once it is released ({command_line('incidents', open_id)})",
            )
        secret = stack.secret(connection.secret_id)
        canaries, lookup_calls = asyncio.run(_find(connection, secret, create=create_canary))
        records = [_rehearse(stack, connection_id, canary) for canary in canaries if canary.ready]
    missing = [canary for canary in canaries if not canary.ready]
    if out.json_mode:
        out.json(
            {
                "connection_id": connection_id,
                "lookup_calls": lookup_calls,
                "rehearsals": [record.model_dump(mode="json") for record in records],
                "not_ready": [
                    {"automation": c.automation, "kind": c.kind.value, "problem": c.problem}
                    for c in missing
                ],
            }
        )
    else:
        _show(connection_id, records, missing, lookup_calls)
    raise click.exceptions.Exit(int(_exit_code(records, missing)))


async def _find(
    connection: Connection, secret: dict[str, Any], *, create: bool
) -> tuple[list[Canary], int]:
    """The canaries and the API calls spent finding them."""
    async with platform_client() as http:
        client: Any = connect(connection, secret, http)
        try:
            if connection.platform is Platform.SALESFORCE:
                return await salesforce_canaries(client), client.http.billable_calls
            found = await hubspot_canary(client, create=create)
            return [found], client.http.billable_calls
        except PlatformError as error:
            cid = connection.connection_id
            raise CliError(
                f"could not read the canaries of {cid}: {error}",
                hint=f"check the connection first: {command_line('connections', 'test', cid)}",
            ) from None


def _rehearse(stack: Target, connection_id: str, canary: Canary) -> RehearsalRecord:
    """One canary braked and released through the functions, compared and recorded."""
    stack.allowlist.put(canary_entry(connection_id, canary.automation))
    record = RehearsalRecord(
        connection_id=connection_id,
        kind=canary.kind,
        automation=canary.automation,
        rehearsed_at=datetime.now(UTC),
        list_branches=canary.list_branches,
    )
    started = time.monotonic()
    braked = stack.invoke(
        "brake",
        {
            "action": "brake",
            "connection_id": connection_id,
            "only": [canary.automation],
            "reason": REASON,
            "requested_by": getpass.getuser(),
        },
    )
    record.incident_id = str(braked.get("incident_id") or "")
    record.calls = _calls(braked, connection_id)
    record.braked = _status(braked, canary.automation) == "braked" and not braked.get("errors")
    if not record.braked:
        record.differences = [_why(braked, canary.automation, "brake")]
    elif (intruders := _other_rows(stack, record.incident_id, canary.automation)) != []:
        # A real brake joined the rehearsal's incident meanwhile: its release is theirs.
        record.differences = [
            f"incident {record.incident_id} now also holds {', '.join(intruders)} (a real "
            "brake joined it): not released by the rehearsal; release it as any incident"
        ]
    else:
        released = stack.invoke(
            "restore",
            {
                "action": "release",
                "incident_id": record.incident_id,
                "force": True,
                # Only the canary, decided by the restorer under the incident's lease: a
                # real brake joining after the check above keeps its rows braked.
                "only": [canary.automation],
            },
        )
        record.calls += _calls(released, connection_id)
        record.released = _status(released, canary.automation) == "released"
        row = next(
            (
                r
                for r in stack.journal.rows(record.incident_id)
                if r.automation == canary.automation
            ),
            None,
        )
        if not record.released:
            record.differences = [_why(released, canary.automation, "release")]
        elif row is not None:
            record.differences = release_differences(row)
            record.exact = not record.differences
    record.seconds = round(time.monotonic() - started, 1)
    stack.state.put_rehearsal(record)
    return record


def _calls(report: dict[str, Any], connection_id: str) -> int:
    return int((report.get("api_calls") or {}).get(connection_id, 0))


def _status(report: dict[str, Any], automation: str) -> str | None:
    for row in report.get("rows", []):
        if f"{row.get('kind')}:{row.get('name')}" == automation:
            return str(row.get("status"))
    return None


def _why(report: dict[str, Any], automation: str, step: str) -> str:
    """What stopped the step: the canary's row error, else the connection's failure."""
    for row in report.get("rows", []):
        if f"{row.get('kind')}:{row.get('name')}" == automation:
            return f"{step}: {row.get('status')}" + (
                f": {row.get('error')}" if row.get("error") else ""
            )
    failures = [str(f.get("error")) for f in report.get("errors", [])]
    return f"{step}: " + ("; ".join(failures) or str(report.get("message") or "no row"))


def _other_rows(stack: Target, incident_id: str, automation: str) -> list[str]:
    return [r.automation for r in stack.journal.rows(incident_id) if r.automation != automation]


def _show(
    connection_id: str, records: list[RehearsalRecord], missing: list[Canary], lookup_calls: int
) -> None:
    out = output()
    if records:
        out.table(
            f"Rehearsal of {connection_id}",
            ["canary", "braked", "released", "exact", "API calls", "seconds", "detail"],
            [
                [
                    r.automation,
                    _yes(r.braked),
                    _yes(r.released),
                    _yes(r.exact),
                    r.calls,
                    f"{r.seconds:g}",
                    "; ".join(r.differences) or (f"incident {r.incident_id}" + _branch_note(r)),
                ]
                for r in records
            ],
            caption=f"{lookup_calls} more API calls to find the canaries; "
            f"recorded {moment(records[0].rehearsed_at)}",
        )
    for canary in missing:
        out.say(f"{canary.automation}: {canary.problem}")
    if missing and not records:
        out.say(f"Nothing rehearsed on {connection_id}: no canary is ready.")


def _branch_note(record: RehearsalRecord) -> str:
    if record.proves_branch_updates:
        return "; list branches: the portal accepts their updates"
    return ""


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _exit_code(records: list[RehearsalRecord], missing: list[Canary]) -> ExitCode:
    if any(not record.proven for record in records):
        return ExitCode.FAILED
    if missing:
        return ExitCode.NOT_FOUND
    return ExitCode.OK
