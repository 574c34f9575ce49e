"""AWS clients and the secret loader, created once per warm container.

Only the composition root (`runtime/`) calls these; it passes the results into domain
code, which never creates clients itself.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import boto3
from aws_lambda_powertools.utilities import parameters
from botocore.config import Config

# Fail fast inside a Lambda timeout; the platform calls, not AWS, are the slow part.
# The monitor's worker threads share each client: give the pool room for them.
_AWS_CONFIG = Config(
    connect_timeout=3,
    read_timeout=10,
    retries={"mode": "standard", "max_attempts": 3},
    max_pool_connections=50,
)
SECRET_CACHE_SECONDS = 300


@functools.cache
def aws_client(service: str) -> Any:
    return boto3.client(service, config=_AWS_CONFIG)  # type: ignore[call-overload]


@functools.cache
def secret_loader() -> Callable[[str], dict[str, Any]]:
    """Reads a connection's JSON secret via Powertools Parameters. One provider per container:
    its cache spares warm invocations a Secrets Manager call per connection (a cold start,
    or a test, begins afresh with `secret_loader.cache_clear()`)."""
    provider = parameters.SecretsProvider(boto3_client=aws_client("secretsmanager"))

    def load(secret_id: str) -> dict[str, Any]:
        value = provider.get(secret_id, transform="json", max_age=SECRET_CACHE_SECONDS)
        if not isinstance(value, dict):
            raise ValueError(f"secret {secret_id} is not a JSON object")
        return value

    return load
