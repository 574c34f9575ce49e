"""Per platform: what the usage read needs, how to grant a permission, and which
permissions a refused call names."""

from __future__ import annotations

from apibrake.http.errors import PlatformError
from apibrake.models.connection import Platform
from apibrake.models.permissions import Permission
from apibrake.platforms.hubspot import scopes
from apibrake.platforms.salesforce import permissions as salesforce


def usage_permissions(platform: Platform) -> tuple[Permission, ...]:
    return salesforce.USAGE_READ if platform is Platform.SALESFORCE else scopes.USAGE_READ


def attribution_permissions(platform: Platform) -> tuple[Permission, ...]:
    """What attribution's sources read with (HubSpot's come free with the usage read)."""
    return salesforce.ATTRIBUTION if platform is Platform.SALESFORCE else scopes.USAGE_READ


def how_to_grant(platform: Platform, permission: Permission) -> str:
    if platform is Platform.SALESFORCE:
        return salesforce.how_to_grant(permission)
    return scopes.how_to_grant(permission)


def refused_permissions(
    platform: Platform, error: PlatformError, proves: tuple[Permission, ...]
) -> tuple[Permission, ...]:
    """The permissions a refused call says are missing; () when it is not a refusal."""
    if platform is Platform.SALESFORCE:
        return salesforce.refused_permissions(error, proves)
    return scopes.refused_permissions(error, proves)
