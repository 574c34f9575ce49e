"""Salesforce REST and Tooling API client."""

from apibrake.platforms.salesforce.auth import SalesforceTokenProvider
from apibrake.platforms.salesforce.client import SalesforceClient
from apibrake.platforms.salesforce.execute_anonymous import (
    MAX_ANONYMOUS_URL_BYTES,
    ExecuteAnonymousResult,
    fits_anonymous_url,
)
from apibrake.platforms.salesforce.models import (
    MAX_COMPOSITE_SUBREQUESTS,
    CompositeResult,
    CompositeSubrequest,
    SalesforceErrorItem,
)
from apibrake.platforms.salesforce.profile import SALESFORCE_PROFILE

__all__ = [
    "MAX_ANONYMOUS_URL_BYTES",
    "MAX_COMPOSITE_SUBREQUESTS",
    "SALESFORCE_PROFILE",
    "CompositeResult",
    "CompositeSubrequest",
    "ExecuteAnonymousResult",
    "SalesforceClient",
    "SalesforceErrorItem",
    "SalesforceTokenProvider",
    "fits_anonymous_url",
]
