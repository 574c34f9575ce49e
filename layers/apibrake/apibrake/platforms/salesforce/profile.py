"""How PlatformHttp reads Salesforce errors and usage headers."""

from apibrake.http.profile import PlatformProfile
from apibrake.http.usage_headers import salesforce_header_reading
from apibrake.platforms.salesforce.errors import SALESFORCE, classify_salesforce_error

SALESFORCE_PROFILE = PlatformProfile(
    platform=SALESFORCE,
    classify=classify_salesforce_error,
    read_usage=salesforce_header_reading,
)
