"""`apibrake connections add|list|remove|test`: the orgs and portals apibrake watches."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click
from pydantic import ValidationError

from apibrake.http.transport import platform_client
from apibrake.models.connection import AutoBrake, Connection, Platform
from apibrake.models.words import counted
from apibrake.platforms.connect import connect, validate_secret
from apibrake.platforms.salesforce.connector import (
    CONNECTOR_LOOKUP_CALLS,
    hubspot_connector_users,
)
from apibrake_cli.checks import run_checks
from apibrake_cli.context import WholeHelpGroup, common_options, confirm, output, target
from apibrake_cli.errors import CliError, ExitCode, field_error
from apibrake_cli.steps import command_line
from apibrake_cli.target import Target

if TYPE_CHECKING:
    from apibrake.platforms.salesforce.client import SalesforceClient

SHAPES_HELP = (
    'Salesforce: {"auth": "client_credentials", "instance_url": "https://acme.my.salesforce.com", '
    '"client_id": "...", "client_secret": "..."}; HubSpot: {"auth": "token", '
    '"base_url": "https://api.hubapi.com", "access_token": "pat-..."} (JWT and OAuth: docs/'
    "configuration.md, Credentials)"
)


@click.group(cls=WholeHelpGroup)
def connections() -> None:
    """The Salesforce orgs and HubSpot portals apibrake watches."""


def require_connection(target: Target, connection_id: str) -> Connection:
    try:
        connection = target.connections.get(connection_id)
    except ValueError as exc:
        raise CliError(
            str(exc),
            code=ExitCode.BAD_INPUT,
            hint=f"rewrite it with {command_line('connections', 'add', connection_id, '...')}",
        ) from None
    if connection is None:
        raise CliError(
            f"no connection {connection_id!r} in {target.describe()}",
            code=ExitCode.NOT_FOUND,
            hint=f"list them with {command_line('connections', 'list')}, or add one with "
            + command_line("connections", "add", "ID", "--platform", "P", "--secret-file", "FILE"),
        )
    return connection


def _read_secret(secret_file: Path | None) -> dict[str, Any]:
    if secret_file is not None:
        try:
            text = secret_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise CliError(
                f"cannot read {secret_file}: {exc.strerror}", code=ExitCode.BAD_INPUT
            ) from None
        where = str(secret_file)
    else:
        # A whole JSON object typed blind on one line is easy to get wrong: say the file
        # is the better way before asking.
        click.echo(
            "No --secret-file given. Easier: write the secret's JSON to a file, run again "
            "with --secret-file FILE, then delete the file. Or paste the JSON on one line "
            "below (hidden).",
            err=True,
        )
        text = click.prompt("Secret JSON, one line (input hidden)", hide_input=True, err=True)
        where = "the secret typed"
    try:
        value = json.loads(text)
    except ValueError as exc:
        # Never echo the text: it holds the credentials.
        raise CliError(
            f"{where} is not JSON (line {getattr(exc, 'lineno', '?')})",
            code=ExitCode.BAD_INPUT,
            hint=SHAPES_HELP,
        ) from None
    if not isinstance(value, dict):
        raise CliError(f"{where} must be a JSON object", code=ExitCode.BAD_INPUT, hint=SHAPES_HELP)
    return value


@connections.command("add")
@click.argument("connection_id")
@click.option("--platform", type=click.Choice(["salesforce", "hubspot"]), required=True)
@click.option(
    "--secret-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A JSON file with the credentials (the way to give them); without it, a hidden "
    "one-line prompt.",
)
@click.option("--from-sandbox", is_flag=True, help="Local only: the sandbox's own credentials.")
@click.option(
    "--secret-id",
    help="Secrets Manager name, or ssm:/NAME for an SSM SecureString under the stack's key "
    "[default: apibrake/CONNECTION_ID].",
)
@click.option("--label", default="")
@click.option(
    "--warn-at", type=float, multiple=True, help="Warning threshold %, repeatable [70, 80]."
)
@click.option("--brake-at", type=float, help="Brake threshold % [90].")
@click.option("--release-below", type=float, help="Release below this % (Salesforce) [50].")
@click.option("--reserve-pct", type=float, help="% of the limit held back for the brake [5].")
@click.option(
    "--auto-brake/--no-auto-brake", default=None, help="Brake automatically at brake_at [on]."
)
@click.option(
    "--shadow-brake",
    is_flag=True,
    help="Shadow mode (auto_brake: shadow): where the brake would start, plan it, journal "
    "the plan and alert what it would have braked; change nothing.",
)
@click.option(
    "--protect",
    multiple=True,
    help="A consumer apibrake never freezes, blocks or suggests stopping (username or "
    "connected app name), repeatable.",
)
@click.option(
    "--find-connector",
    is_flag=True,
    help=f"Salesforce: find the HubSpot connector's integration user "
    f"({CONNECTOR_LOOKUP_CALLS} API calls) and protect it.",
)
@click.option("--disabled", is_flag=True, help="Store it switched off.")
@common_options
def add(
    connection_id: str,
    platform: str,
    secret_file: Path | None,
    from_sandbox: bool,
    secret_id: str | None,
    label: str,
    warn_at: tuple[float, ...],
    brake_at: float | None,
    release_below: float | None,
    reserve_pct: float | None,
    auto_brake: bool | None,
    shadow_brake: bool,
    protect: tuple[str, ...],
    find_connector: bool,
    disabled: bool,
) -> None:
    """Add or update a connection and store its secret: from --secret-file FILE (a JSON
    file), else a hidden one-line prompt; never from the command line."""
    out = output()
    if shadow_brake and auto_brake is not None:
        raise CliError(
            "--shadow-brake sets auto_brake to shadow: give it without --auto-brake or "
            "--no-auto-brake",
            code=ExitCode.BAD_INPUT,
        )
    item: dict[str, Any] = {
        "connection_id": connection_id,
        "platform": platform,
        "secret_id": secret_id or f"apibrake/{connection_id}",
        "label": label,
        "enabled": not disabled,
    }
    optional = {
        "warn_at": list(warn_at) or None,
        "brake_at": brake_at,
        "release_below": release_below,
        "reserve_pct": reserve_pct,
        "auto_brake": AutoBrake.SHADOW if shadow_brake else auto_brake,
        "protected_consumers": list(protect) or None,
    }
    item.update({key: value for key, value in optional.items() if value is not None})
    try:
        connection = Connection.model_validate(item)
    except ValidationError as exc:
        raise field_error(exc, f"connection {connection_id}") from None
    with target(out) as stack:
        if from_sandbox:
            secret = stack.sandbox_secret(platform)
            if secret is None:
                raise CliError("--from-sandbox needs --local", code=ExitCode.BAD_INPUT)
        else:
            secret = _read_secret(secret_file)
        validate_secret(connection, secret)  # SecretInvalid names the field, never a value
        action = stack.put_secret(connection.secret_id, secret)
        found: list[str] = []
        if find_connector and connection.platform is Platform.SALESFORCE:
            found = asyncio.run(_connector_users(connection, secret))
            connection = _protecting(connection, found)
        stack.connections.put(connection)
    result = {
        "connection": connection.model_dump(mode="json"),
        "secret_id": connection.secret_id,
        "secret": action,
        "connector_users": found,
    }
    if out.json_mode:
        out.json(result)
        return
    out.say(
        f"Connection {connection_id} ({platform}) saved; secret {connection.secret_id} {action}."
    )
    _say_protected(connection, found, asked=find_connector)
    out.say(
        f"Next: {command_line('connections', 'test', connection_id)}   "
        f"then: {command_line('discover', connection_id)}"
    )


async def _connector_users(connection: Connection, secret: dict[str, Any]) -> list[str]:
    async with platform_client() as http:
        # Asked for Salesforce connections only.
        client = cast("SalesforceClient", connect(connection, secret, http))
        return await hubspot_connector_users(client)


def _protecting(connection: Connection, names: list[str]) -> Connection:
    listed = [*connection.protected_consumers, *names]
    return Connection.model_validate({**connection.model_dump(), "protected_consumers": listed})


def _say_protected(connection: Connection, found: list[str], *, asked: bool) -> None:
    out = output()
    if connection.protected_consumers:
        out.say(
            "Protected (never frozen, blocked or suggested for stopping): "
            + ", ".join(connection.protected_consumers)
        )
    if asked and not found:
        out.say("No HubSpot connector user logged in over the last 7 days.")
    if not connection.protected_consumers and connection.platform is Platform.SALESFORCE:
        out.note(
            "Protect the HubSpot connector's integration user: add --find-connector, or "
            f"{command_line('connections', 'protect', connection.connection_id, 'USERNAME')}"
        )


@connections.command("protect")
@click.argument("connection_id")
@click.argument("names", nargs=-1, required=True)
@click.option("--remove", is_flag=True, help="Take the names off the list instead.")
@common_options
def protect(connection_id: str, names: tuple[str, ...], remove: bool) -> None:
    """Add NAMES (usernames, connected app names) to the consumers apibrake never freezes,
    blocks or suggests stopping; `apibrake discover` finds the HubSpot connector's user."""
    out = output()
    with target(out) as stack:
        connection = require_connection(stack, connection_id)
        if remove:
            dropped = {name.lower() for name in names}
            kept = [n for n in connection.protected_consumers if n.lower() not in dropped]
            item = {**connection.model_dump(), "protected_consumers": kept}
        else:
            item = {
                **connection.model_dump(),
                "protected_consumers": [*connection.protected_consumers, *names],
            }
        try:
            connection = Connection.model_validate(item)
        except ValidationError as exc:
            raise field_error(exc, f"connection {connection_id}") from None
        stack.connections.put(connection)
    if out.json_mode:
        out.json(
            {
                "connection_id": connection_id,
                "protected_consumers": list(connection.protected_consumers),
            }
        )
        return
    listed = ", ".join(connection.protected_consumers) or "none"
    out.say(f"Protected consumers of {connection_id}: {listed}.")


@connections.command("list")
@common_options
def list_connections() -> None:
    """Every connection, with its thresholds; items that do not validate are shown too."""
    out = output()
    with target(out) as stack:
        valid, invalid = stack.connections.load(include_disabled=True)
    if out.json_mode:
        out.json(
            {
                "connections": [c.model_dump(mode="json") for c in valid],
                "invalid": [f.model_dump(mode="json") for f in invalid],
            }
        )
        return
    if not valid and not invalid:
        out.say(
            "No connections yet. Add one: "
            + command_line(
                "connections", "add", "ID", "--platform", "salesforce", "--secret-file", "FILE"
            )
        )
        return
    out.table(
        "Connections",
        [
            "connection",
            "platform",
            "label",
            "enabled",
            "warn at",
            "brake at",
            "auto brake",
            "release below",
            "protected",
            "secret",
        ],
        [
            [
                c.connection_id,
                c.platform.value,
                c.label,
                c.enabled,
                ", ".join(f"{w:g}" for w in c.warn_at),
                f"{c.brake_at:g}",
                c.auto_brake.value,
                f"{c.release_below:g}",
                ", ".join(c.protected_consumers),
                c.secret_id,
            ]
            for c in valid
        ],
    )
    for failure in invalid:
        out.say(f"invalid item {failure.connection_id}: field '{failure.field}': {failure.error}")
    if invalid:
        raise click.exceptions.Exit(int(ExitCode.BAD_INPUT))


@connections.command("remove")
@click.argument("connection_id")
@click.option(
    "--delete-secret", is_flag=True, help="Also schedule its secret for deletion (7 days)."
)
@click.option("--yes", is_flag=True, help="Do not ask.")
@common_options
def remove(connection_id: str, delete_secret: bool, yes: bool) -> None:
    """Stop watching a connection (its allowlist entries stay until removed)."""
    out = output()
    with target(out) as stack:
        connection = require_connection(stack, connection_id)
        confirm(f"Remove connection {connection_id}?", yes=yes)
        stack.connections.delete(connection_id)
        if delete_secret:
            stack.delete_secret(connection.secret_id)
    if out.json_mode:
        out.json({"removed": connection_id, "secret_deleted": delete_secret})
    else:
        out.say(
            f"Removed {connection_id}."
            + (f" Secret {connection.secret_id} scheduled for deletion." if delete_secret else "")
        )


@connections.command("test")
@click.argument("connection_id")
@common_options
def test(connection_id: str) -> None:
    """Authenticate, read usage once, and check what each allowlisted kind needs."""
    out = output()
    with target(out) as stack:
        connection = require_connection(stack, connection_id)
        secret = stack.secret(connection.secret_id)
        entries, _ = stack.allowlist.for_connection(connection_id)
        rehearsals = stack.state.rehearsals(connection_id)
        result = asyncio.run(run_checks(connection, secret, entries, rehearsals))
    if out.json_mode:
        out.json(result.as_json())
    else:
        out.table(
            f"Checks of {connection_id} ({connection.platform.value})",
            ["check", "result", "detail"],
            [[c.name, c.outcome, c.detail] for c in result.checks],
            caption=f"{counted(result.api_calls, 'API call')} spent",
        )
    code = result.exit_code()
    if code is not ExitCode.OK:
        if not out.json_mode:
            for grant in result.grants():
                out.note(f"Missing {grant}")
            out.note(f"Some checks failed: {result.advice()}")
        raise click.exceptions.Exit(int(code))
