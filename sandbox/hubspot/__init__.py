"""A simulated HubSpot portal: private-app and OAuth auth, daily and burst limits, v4 flows."""

from sandbox.hubspot.portal import HubSpotPortal
from sandbox.hubspot.settings import HubSpotSettings

__all__ = ["HubSpotPortal", "HubSpotSettings"]
