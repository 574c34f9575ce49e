"""One way to load a connection's secret: prefix check, clipped and value-free errors."""

from __future__ import annotations

from typing import Any

import pytest

from apibrake.models.connection import Connection
from apibrake.platforms.connect import SecretUnreadable, load_connection_secret

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
