"""Credentials as SSM Parameter Store SecureStrings (`secret_id: "ssm:/apibrake/..."`): read
over the wire from moto, within the same prefix the functions' IAM scope allows, never
logged."""

from __future__ import annotations

import json
from typing import Any

import pytest

from apibrake.models.connection import Connection
from drill.stack import LocalStack


def add_salesforce_in_ssm(stack: LocalStack, connection_id: str, parameter: str) -> None:
    settings = stack.sandbox.salesforce.settings
    secret = {
        "auth": "client_credentials",
        "instance_url": stack.sandbox.salesforce_url,
        "client_id": settings.client_id,
        "client_secret": settings.client_secret,
    }
    stack.aws.client("ssm").put_parameter(
        Name=parameter, Value=json.dumps(secret), Type="SecureString", Overwrite=True
    )
    stack.connections.put(
        Connection(connection_id=connection_id, platform="salesforce", secret_id=f"ssm:{parameter}")
    )


def row_of(report: dict[str, Any], connection_id: str) -> dict[str, Any]:
    return next(r for r in report["connections"] if r["connection_id"] == connection_id)


def test_a_connection_whose_credentials_are_a_securestring_is_checked(
    stack: LocalStack, caplog: pytest.LogCaptureFixture
) -> None:
    # Given an org whose credentials are an SSM SecureString under the stack's prefix
    add_salesforce_in_ssm(stack, "sf-ssm", "/apibrake/sf-ssm")
    # When the monitor checks it
    report = stack.check()
    # Then it is read like a Secrets Manager secret, and its secret is in no log line
    row = row_of(report, "sf-ssm")
    assert row["error"] is None
    assert row["api_calls"] == 1
    client_secret = stack.sandbox.salesforce.settings.client_secret
    assert all(client_secret not in record.getMessage() for record in caplog.records)
    assert client_secret not in json.dumps(report)


def test_a_parameter_outside_the_prefix_is_refused_without_a_read(stack: LocalStack) -> None:
    # Given a connection naming a parameter outside the functions' prefix
    add_salesforce_in_ssm(stack, "sf-other", "/other/sf-other")
    # When it is checked, Then it fails on its secret_id, naming the prefix
    row = row_of(stack.check(), "sf-other")
    assert row["error_field"] == "secret_id"
    assert "outside the prefix" in row["error"]
