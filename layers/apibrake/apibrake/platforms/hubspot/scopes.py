"""The HubSpot scopes apibrake's calls need: the same names for a service key, a legacy
private app and an OAuth app. docs/setup.md lists them; a test keeps the two equal."""

from __future__ import annotations

from apibrake.http.errors import PermissionDenied, PlatformError
from apibrake.models.permissions import Permission

AUTOMATION = Permission(
    "automation",
    "automation",
    "reading workflows and turning them off and on (Automation API flows)",
)
OAUTH = Permission("oauth", "oauth", "the daily API usage and account details (account-info)")

# What `HubSpotClient.usage()` needs.
USAGE_READ = (OAUTH,)
KNOWN = {scope.name: scope for scope in (AUTOMATION, OAUTH)}


def how_to_grant(scope: Permission) -> str:
    return (
        f"tick scope {scope.name} on the service key (Development > Keys > Service keys), the "
        "legacy private app (Settings > Integrations > Private Apps) or the OAuth app (which "
        "must then be authorised again)"
    )


def refused_permissions(
    error: PlatformError, proves: tuple[Permission, ...]
) -> tuple[Permission, ...]:
    """The scopes HubSpot's 403 names (known or not), else what the read proves; () when
    the error is not a refusal for a scope."""
    if not isinstance(error, PermissionDenied):
        return ()
    named = tuple(
        KNOWN.get(name) or Permission(name, name, "named by HubSpot's refusal")
        for name in error.missing_scopes
    )
    return named or proves
