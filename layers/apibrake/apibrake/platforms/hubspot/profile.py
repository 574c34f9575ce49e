"""How PlatformHttp reads HubSpot errors and usage headers."""

from apibrake.http.profile import PlatformProfile
from apibrake.http.usage_headers import hubspot_header_reading
from apibrake.platforms.hubspot.errors import HUBSPOT, classify_hubspot_error

HUBSPOT_PROFILE = PlatformProfile(
    platform=HUBSPOT,
    classify=classify_hubspot_error,
    read_usage=hubspot_header_reading,
)
