"""The `apibrake` console script: every command group, the shared options, exit codes."""

from __future__ import annotations

import click

from apibrake_cli.allowlist import allowlist
from apibrake_cli.connections import connections
from apibrake_cli.consumers import consumers
from apibrake_cli.context import AdvisingGroup, common_options
from apibrake_cli.discover import discover
from apibrake_cli.drill import drill
from apibrake_cli.errors import EXIT_CODES_HELP
from apibrake_cli.incident import brake, incidents, release
from apibrake_cli.localcmd import local
from apibrake_cli.rehearse import rehearse
from apibrake_cli.status import status

USAGE = """Emergency brake for HubSpot and Salesforce API overload.

\b
Setup (calm):
  apibrake connections add sf-prod --platform salesforce --secret-file sf.json
  apibrake connections test sf-prod
  apibrake discover sf-prod --write allowlist.csv
  apibrake allowlist import allowlist.csv
  apibrake rehearse sf-prod      (brake and release the canaries only, before auto-brake)
\b
Incident (under stress):
  apibrake status --check
  apibrake brake --connection sf-prod --dry-run --reason "usage at 92%"
  apibrake brake --connection sf-prod --reason "usage at 92%"
  apibrake status --watch 60
  apibrake consumers sf-prod --since 2h
  apibrake release --incident ID
\b
Rehearse locally:  apibrake local up   (then add --local to any command)
                   apibrake drill

Commands act on the deployed stack named by --stack (default apibrake; AWS credentials as
usual, --profile, --region), or on the local stack with --local.
"""


@click.group(cls=AdvisingGroup, help=USAGE, epilog=EXIT_CODES_HELP)
@click.version_option(package_name="apibrake")
@common_options
def app() -> None:
    pass


for command in (
    connections,
    discover,
    consumers,
    allowlist,
    status,
    brake,
    release,
    incidents,
    rehearse,
    drill,
    local,
):
    app.add_command(command)

if __name__ == "__main__":
    app()
