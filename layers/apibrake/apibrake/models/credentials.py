"""Credentials stored as JSON in Secrets Manager, one secret per connection.

Every secret value is a SecretStr so it never shows up in a repr, a log line or a report.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, SecretStr, TypeAdapter

DEFAULT_SALESFORCE_API_VERSION = "62.0"

ApiVersion = Annotated[str, Field(pattern=r"^\d{2,3}\.0$")]


class _Secret(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class SalesforceClientCredentials(_Secret):
    auth: Literal["client_credentials"]
    instance_url: HttpUrl
    client_id: SecretStr
    client_secret: SecretStr
    api_version: ApiVersion = DEFAULT_SALESFORCE_API_VERSION


PRODUCTION_AUDIENCE = "https://login.salesforce.com"
SANDBOX_AUDIENCE = "https://test.salesforce.com"


class SalesforceJwtBearer(_Secret):
    auth: Literal["jwt_bearer"]
    instance_url: HttpUrl
    # Where the token is asked for (a My Domain host works) ...
    login_url: HttpUrl = HttpUrl(PRODUCTION_AUDIENCE)
    # ... and the JWT's `aud`, which Salesforce wants as login or test.salesforce.com (or
    # an Experience Cloud site) whatever the host. Default: from login_url, see `jwt_audience`.
    audience: HttpUrl | None = None
    client_id: SecretStr
    username: str
    private_key: SecretStr
    api_version: ApiVersion = DEFAULT_SALESFORCE_API_VERSION

    @property
    def jwt_audience(self) -> str:
        if self.audience is not None:
            return base_url(self.audience)
        host = self.login_url.host or ""
        sandbox = host == "test.salesforce.com" or ".sandbox.my.salesforce.com" in host
        return SANDBOX_AUDIENCE if sandbox else PRODUCTION_AUDIENCE


HubSpotVersion = Annotated[str, Field(pattern=r"^(v\d{1,2}|\d{4}-\d{2}(-beta)?)$")]


class HubSpotApiVersions(_Secret):
    """The dated (or numbered) version of each HubSpot API a connection calls. The defaults
    keep working past the published sunsets (docs/configuration.md says why)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    oauth: HubSpotVersion = "2026-03"  # /oauth/v1/token is removed on 2027-02-16
    # The daily usage: 2026-09 counts legacy private apps only; 2027-03-beta counts every
    # app type (service keys too). Empty: chosen by token_type.
    usage: HubSpotVersion | Literal[""] = ""
    flows: HubSpotVersion = "2026-09-beta"  # v4 is unsupported from 2027-03-30; same schemas

    def usage_version(self, *, service_key: bool) -> str:
        if self.usage:
            return self.usage
        return "2027-03-beta" if service_key else "2026-09"


class HubSpotToken(_Secret):
    auth: Literal["token"]
    base_url: HttpUrl = HttpUrl("https://api.hubapi.com")
    access_token: SecretStr
    # A service key (Development > Keys > Service keys) replaces legacy private apps for new
    # installs; its calls are counted only by the 2027-03-beta usage figure.
    token_type: Literal["private_app", "service_key"] = "private_app"  # noqa: S105 - a kind
    api_versions: HubSpotApiVersions = HubSpotApiVersions()

    @property
    def is_service_key(self) -> bool:
        return self.token_type == "service_key"  # noqa: S105 - a credential kind


class HubSpotOAuth(_Secret):
    auth: Literal["oauth_refresh"]
    base_url: HttpUrl = HttpUrl("https://api.hubapi.com")
    client_id: SecretStr
    client_secret: SecretStr
    refresh_token: SecretStr
    api_versions: HubSpotApiVersions = HubSpotApiVersions()

    @property
    def is_service_key(self) -> bool:
        return False


SalesforceCredentials = Annotated[
    SalesforceClientCredentials | SalesforceJwtBearer, Field(discriminator="auth")
]
HubSpotCredentials = Annotated[HubSpotToken | HubSpotOAuth, Field(discriminator="auth")]

SALESFORCE_CREDENTIALS: TypeAdapter[SalesforceClientCredentials | SalesforceJwtBearer] = (
    TypeAdapter(SalesforceCredentials)
)
HUBSPOT_CREDENTIALS: TypeAdapter[HubSpotToken | HubSpotOAuth] = TypeAdapter(HubSpotCredentials)


def base_url(url: HttpUrl) -> str:
    """The URL without a trailing slash, ready for path concatenation."""
    return str(url).rstrip("/")
