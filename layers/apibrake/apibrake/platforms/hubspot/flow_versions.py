"""The workflows API's versions: betas have no support window and 2027-03-beta's path has
another shape (docs/platform-notes.md C10). A 404 on the flows collection means the portal
serves no workflows API at the configured version: a configuration error that names the
field and what to try, not a generic failure."""

from __future__ import annotations

from apibrake.http.errors import NotFound, RequestRejected
from apibrake.platforms.hubspot.errors import HUBSPOT

# The version to try instead of each (the other dated one, or the numbered v4).
ALTERNATIVE = {"v4": "2026-09-beta", "2026-09-beta": "v4", "2027-03-beta": "2026-09-beta"}
NOT_SERVED = "FLOWS_VERSION_NOT_SERVED"


class FlowsVersionNotServed(RequestRejected):
    """The configured `api_versions.flows` answers 404 on the flows collection."""


def not_served(version: str, error: NotFound) -> FlowsVersionNotServed:
    other = ALTERNATIVE.get(version, "2026-09-beta")
    return FlowsVersionNotServed(
        HUBSPOT,
        f"HubSpot serves no workflows API at version {version!r} (404 on the flows list): "
        f'set "api_versions": {{"flows": "{other}"}} in the connection\'s secret (known: '
        f"{', '.join(ALTERNATIVE)}), then run apibrake connections test",
        status=404,
        code=NOT_SERVED,
        correlation_id=error.correlation_id,
    )
