"""From a connection item and its secret to the platform client that speaks for it.

The monitor, the brake and restore all load secrets and connect the same way. A secret
that may not be read raises `SecretUnreadable`, one that does not validate `SecretInvalid`:
both name the secret id or field, never a value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import ValidationError

from apibrake.http.client import PlatformHttp, Timeouts
from apibrake.http.retry import RetryBudget, RetryPolicy
from apibrake.models.connection import Connection, Platform
from apibrake.models.credentials import HUBSPOT_CREDENTIALS, SALESFORCE_CREDENTIALS
from apibrake.models.validation import describe_error

if TYPE_CHECKING:
    from apibrake.platforms.hubspot.client import HubSpotClient
    from apibrake.platforms.salesforce.client import SalesforceClient


class SecretInvalid(ValueError):
    """The connection's secret is missing a field or holds a wrong one."""

    def __init__(self, secret_id: str, field: str, problem: str) -> None:
        self.secret_id = secret_id
        self.field = field
        self.problem = problem
        super().__init__(f"secret {secret_id}: field '{field}': {problem}")


class SecretUnreadable(ValueError):
    """The connection's secret may not or could not be read. The message names the secret
    id and the kind of failure, never a value."""

    field = "secret_id"

    def __init__(self, secret_id: str, message: str) -> None:
        self.secret_id = secret_id
        super().__init__(message)


ERROR_TEXT_LIMIT = 200


SSM_PREFIX = "ssm:"


def stored_name(secret_id: str) -> str:
    """The name the functions' IAM scope applies to: a Secrets Manager name as it is, an SSM
    parameter (`ssm:/apibrake/sf-prod`) without the marker and its leading slash (the
    parameter's ARN ends `parameter/apibrake/sf-prod`)."""
    if secret_id.startswith(SSM_PREFIX):
        return secret_id.removeprefix(SSM_PREFIX).lstrip("/")
    return secret_id


def load_connection_secret(
    connection: Connection, loader: Callable[[str], Mapping[str, Any]], prefix: str
) -> Mapping[str, Any]:
    """The connection's secret through `loader`, if its id starts with `prefix` (the
    functions' IAM scope), else SecretUnreadable. The one way every path loads a secret:
    a loader's error becomes SecretUnreadable with its text clipped."""
    secret_id = connection.secret_id
    if prefix and not stored_name(secret_id).startswith(prefix):
        raise SecretUnreadable(
            secret_id,
            f"secret_id {secret_id} is outside the prefix {prefix!r} the functions may read",
        )
    try:
        return loader(secret_id)
    except Exception as error:
        # Secrets Manager and JSON errors name the secret, never its value.
        raise SecretUnreadable(
            secret_id,
            f"secret {secret_id} could not be read: {type(error).__name__}: "
            f"{str(error)[:ERROR_TEXT_LIMIT]}",
        ) from None


def _validation_problem(exc: ValidationError) -> tuple[str, str]:
    first = exc.errors(include_input=False, include_url=False)[0]
    # The first location part of a discriminated union is the auth tag itself.
    parts = [str(part) for part in first["loc"]]
    if len(parts) > 1 and parts[0] in {
        "client_credentials",
        "jwt_bearer",
        "token",
        "oauth_refresh",
    }:
        parts = parts[1:]
    if first["type"] == "union_tag_not_found":
        return "auth", "is required: one of the auth kinds in docs/configuration.md, Credentials"
    if first["type"] == "union_tag_invalid":
        return "auth", f"unknown auth kind (one of: {first['ctx'].get('expected_tags', '')})"
    # Plain words, and never the refused value: it may be a credential.
    return describe_error({**first, "loc": tuple(parts)}, show_values=False, unnamed="auth")


def validate_secret(connection: Connection, secret: Mapping[str, Any]) -> Any:
    """The typed credentials for this connection's platform, or SecretInvalid."""
    adapter: Any = (
        SALESFORCE_CREDENTIALS
        if connection.platform is Platform.SALESFORCE
        else HUBSPOT_CREDENTIALS
    )
    if not isinstance(secret, Mapping):
        raise SecretInvalid(connection.secret_id, "(secret)", "must be a JSON object")
    try:
        return adapter.validate_python(dict(secret))
    except ValidationError as exc:
        field, problem = _validation_problem(exc)
        raise SecretInvalid(connection.secret_id, field, problem) from None


def connect(
    connection: Connection,
    secret: Mapping[str, Any],
    client: httpx.AsyncClient,
    *,
    budget: RetryBudget | None = None,
    retry: RetryPolicy | None = None,
    timeouts: Timeouts | None = None,
    now: Callable[[], datetime] | None = None,
) -> SalesforceClient | HubSpotClient:
    """A ready client sharing `client` (one connection pool for every connection) and
    `budget` (one retry allowance per invocation). Platform modules load on first use:
    they pull in JWT and crypto, which a cold start should only pay for when needed."""
    credentials = validate_secret(connection, secret)
    options: dict[str, Any] = {"retry": retry, "budget": budget, "timeouts": timeouts}
    if now is not None:
        options["now"] = now
    if connection.platform is Platform.SALESFORCE:
        from apibrake.platforms.salesforce.client import SalesforceClient
        from apibrake.platforms.salesforce.profile import SALESFORCE_PROFILE

        http = PlatformHttp(client, SALESFORCE_PROFILE, **options)
        return SalesforceClient(http, credentials, connection_id=connection.connection_id)
    from apibrake.platforms.hubspot.client import HubSpotClient
    from apibrake.platforms.hubspot.profile import HUBSPOT_PROFILE

    http = PlatformHttp(client, HUBSPOT_PROFILE, **options)
    return HubSpotClient(http, credentials, connection_id=connection.connection_id)
