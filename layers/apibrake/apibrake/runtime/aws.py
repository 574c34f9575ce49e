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

from apibrake.platforms.connect import SSM_PREFIX

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
    """Reads a connection's JSON credentials via Powertools Parameters: from Secrets Manager,
    or from an SSM Parameter Store SecureString when the id says `ssm:/name` (decrypted
    with the stack's KMS key; no $0.40 a month per connection, docs/platform-notes.md W5).
    One provider each per container: its cache spares warm invocations a call per
    connection (a cold start, or a test, begins afresh with `secret_loader.cache_clear()`)."""
    secrets = parameters.SecretsProvider(boto3_client=aws_client("secretsmanager"))
    ssm = parameters.SSMProvider(boto3_client=aws_client("ssm"))

    def load(secret_id: str) -> dict[str, Any]:
        if secret_id.startswith(SSM_PREFIX):
            value = ssm.get(
                secret_id.removeprefix(SSM_PREFIX),
                transform="json",
                decrypt=True,
                max_age=SECRET_CACHE_SECONDS,
            )
        else:
            value = secrets.get(secret_id, transform="json", max_age=SECRET_CACHE_SECONDS)
        if not isinstance(value, dict):
            raise ValueError(f"secret {secret_id} is not a JSON object")
        return value

    return load
