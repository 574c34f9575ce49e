"""HubSpot account-info and Automation v4 client."""

from apibrake.platforms.hubspot.auth import (
    OAuthTokenProvider,
    StaticTokenProvider,
    hubspot_token_provider,
)
from apibrake.platforms.hubspot.client import FLOW_BATCH_READ_MAX, AccountDetails, HubSpotClient
from apibrake.platforms.hubspot.flows import READ_ONLY_FLOW_FIELDS, flow_update_body
from apibrake.platforms.hubspot.profile import HUBSPOT_PROFILE

__all__ = [
    "FLOW_BATCH_READ_MAX",
    "HUBSPOT_PROFILE",
    "READ_ONLY_FLOW_FIELDS",
    "AccountDetails",
    "HubSpotClient",
    "OAuthTokenProvider",
    "StaticTokenProvider",
    "flow_update_body",
    "hubspot_token_provider",
]
