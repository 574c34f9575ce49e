"""`apibrake local up`: moto and the sandbox in the foreground, for --local commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from apibrake_cli.context import WholeHelpGroup


@click.group(cls=WholeHelpGroup)
def local() -> None:
    """The local stack: moto (AWS) and the sandbox (Salesforce + HubSpot) on 127.0.0.1."""


@local.command("up")
@click.option(
    "--scenario",
    default="quiet",
    show_default=True,
    help="Sandbox starting state (quiet, runaway-rollups, rehearsal: canaries deployed).",
)
@click.option("--port", type=int, default=0, help="moto's port [default: a free one].")
@click.option(
    "--state-file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Where --local commands find it [.apibrake/local.json].",
)
def up(scenario: str, port: int, state_file: Path | None) -> None:
    """Serve the local stack until Ctrl-C; `--local` commands run in this directory use it."""
    from apibrake_cli.local_extra import local_extra

    with local_extra():
        from apibrake_cli.local import (
            STATE_FILE,
            ensure_source_tree,
            local_state,
            real_time_sandbox,
            write_state,
        )
        from localaws import LocalAws
        from localaws.until_stopped import stop_on_signals, wait_until_stopped
        from sandbox.scenarios import SCENARIOS

    ensure_source_tree()

    if scenario not in SCENARIOS:
        raise click.BadParameter(
            f"choose one of {', '.join(sorted(SCENARIOS))}", param_hint="--scenario"
        )
    path = state_file or STATE_FILE
    stop_on_signals()
    with LocalAws(port=port) as aws, real_time_sandbox() as sandbox:
        try:
            SCENARIOS[scenario](sandbox)
            state = local_state(aws, sandbox)
            write_state(state, path)
            _banner(state, path, scenario)
            wait_until_stopped()
        except KeyboardInterrupt:  # stopped while starting
            pass
        finally:
            path.unlink(missing_ok=True)
        click.echo("stopped")


def _banner(state: dict[str, Any], path: Path, scenario: str) -> None:
    """Where the stack serves, the sandbox's credentials, and what to run next."""
    creds = state["sandbox"]
    click.echo(f"moto (AWS)   {state['endpoint_url']}")
    click.echo(
        f"salesforce   {creds['salesforce_url']}  client_id={creds['salesforce_client_id']} "
        f"client_secret={creds['salesforce_client_secret']}"
    )
    click.echo(f"hubspot      {creds['hubspot_url']}  token={creds['hubspot_token']}")
    click.echo(f"state file   {path} (sandbox scenario: {scenario})")
    click.echo("\nIn another terminal, in this directory:")
    click.echo("  apibrake connections add sf-local --platform salesforce --from-sandbox --local")
    click.echo("  apibrake connections add hs-local --platform hubspot --from-sandbox --local")
    click.echo("  apibrake connections test sf-local --local")
    click.echo("  apibrake discover sf-local --local --yes --write allowlist.csv")
    click.echo("\nCtrl-C to stop.")
