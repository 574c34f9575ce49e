"""One way to load a connection's secret: prefix check, clipped and value-free errors."""

from __future__ import annotations

from typing import Any

import pytest

from apibrake.models.connection import Connection
from apibrake.platforms.connect import (
    SecretInvalid,
    SecretUnreadable,
    load_connection_secret,
    validate_secret,
)

SECRET = {"auth": "token", "access_token": "pat-na1-very-secret"}


def connection(secret_id: str) -> Connection:
    return Connection(connection_id="hs", platform="hubspot", secret_id=secret_id)


def test_a_secret_under_the_prefix_is_loaded() -> None:
    loaded = load_connection_secret(
        connection("apibrake/hs"), {"apibrake/hs": SECRET}.__getitem__, "apibrake/"
    )
    assert loaded == SECRET


def test_a_secret_outside_the_prefix_is_never_asked_for() -> None:
    asked: list[str] = []

    def loader(secret_id: str) -> dict[str, Any]:
        asked.append(secret_id)
        return SECRET

    with pytest.raises(SecretUnreadable, match="outside the prefix 'apibrake/'") as caught:
        load_connection_secret(connection("prod/hs"), loader, "apibrake/")
    assert asked == []
    assert caught.value.field == "secret_id"


def test_a_loader_error_is_named_and_clipped() -> None:
    def loader(secret_id: str) -> dict[str, Any]:
        raise ValueError(f"secret {secret_id} is not a JSON object" + " and more" * 100)

    with pytest.raises(SecretUnreadable) as caught:
        load_connection_secret(connection("apibrake/hs"), loader, "apibrake/")
    message = str(caught.value)
    assert message.startswith(
        "secret apibrake/hs could not be read: ValueError: secret apibrake/hs"
    )
    assert len(message) < 300
    assert caught.value.__suppress_context__  # the loader error (and its chain) stays out


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"token_type": "developer_app"}, "token_type"),
        ({"api_versions": {"flow": "v4"}}, "api_versions.flow"),
        ({"api_versions": {"flows": "v4; DROP"}}, "api_versions.flows"),
        ({"api_versions": {"usage": "latest"}}, "api_versions.usage"),
    ],
)
def test_a_bad_hubspot_version_or_token_type_is_named(extra: dict[str, Any], field: str) -> None:
    with pytest.raises(SecretInvalid) as caught:
        validate_secret(connection("apibrake/hs"), {**SECRET, **extra})
    assert caught.value.field.startswith(field)
    assert "pat-na1-very-secret" not in str(caught.value)


def test_hubspot_versions_default_past_the_sunsets() -> None:
    token = validate_secret(connection("apibrake/hs"), {**SECRET, "token_type": "service_key"})
    versions = token.api_versions
    assert (versions.oauth, versions.flows) == ("2026-03", "2026-09-beta")
    assert versions.usage_version(service_key=True) == "2027-03-beta"
    assert versions.usage_version(service_key=False) == "2026-09"
