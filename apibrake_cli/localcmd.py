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
    help=(
        "Sandbox starting state: quiet, incident (a runaway climbing through the warnings: "
        "the runbook's walk-through), runaway-rollups, rehearsal (canaries deployed)."
    ),
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
            scenario_sandbox,
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
    with LocalAws(port=port) as aws, scenario_sandbox(scenario) as sandbox:
        try:
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
    for line in _next_commands(scenario):
        click.echo(f"  {line}")
    click.echo("\nCtrl-C to stop.")


def _next_commands(scenario: str) -> list[str]:
    """The first commands against the stack; for the incident, the runbook's walk-through
    (docs/runbook.md): the runaway allowlisted, so the monitor's brake has something to stop."""
    from sandbox.scenarios import INCIDENT_FLOW, INCIDENT_WORKFLOW_ID

    salesforce = "apibrake connections add sf-local --platform salesforce --from-sandbox --local"
    hubspot = "apibrake connections add hs-local --platform hubspot --from-sandbox --local"
    if scenario != "incident":
        return [
            salesforce,
            hubspot,
            "apibrake connections test sf-local --local",
            "apibrake discover sf-local --local --yes --write allowlist.csv",
        ]
    return [
        f"{salesforce} --find-connector",
        hubspot,
        f"apibrake allowlist add sf-local flow:{INCIDENT_FLOW} --local",
        f"apibrake allowlist add hs-local workflow:{INCIDENT_WORKFLOW_ID} --local",
        "apibrake status --check --local             # warnings: usage is past 70 %",
        "apibrake consumers sf-local --local         # who spends the calls",
        "apibrake status --watch 60 --check --local  # a check a minute: the brake",
    ]
