"""The platform clients as one type, for the code that takes either (the brake, the
release, the monitor): `connect` returns one of the two, and each adapter knows which."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from apibrake.platforms.hubspot.client import HubSpotClient
    from apibrake.platforms.salesforce.client import SalesforceClient

# A string: the platform modules load on first use (JWT and crypto), never for a type.
PlatformClient: TypeAlias = "SalesforceClient | HubSpotClient"
