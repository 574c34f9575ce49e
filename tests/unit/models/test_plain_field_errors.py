"""Field errors in plain words: the field named, no pydantic phrasing, a secret never quoted."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from apibrake.models.allowlist import AllowlistEntry
from apibrake.models.connection import Connection, Platform
from apibrake.models.errors import InvalidInput, parse_event
from apibrake.models.validation import describe
from apibrake.platforms.connect import SecretInvalid, validate_secret

_PYDANTIC_WORDS = ("Input should", "Value error", "String should", "valid integer")


def _described(**fields: Any) -> tuple[str, str]:
    with pytest.raises(ValidationError) as caught:
        AllowlistEntry.model_validate({"connection_id": "sf", **fields})
    return describe(caught.value)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"automation": "flwo:X"},
            (
                "automation",
                "unknown kind 'flwo' (one of: flow, scheduled_apex, workflow, setting, user, app)",
            ),
        ),
        ({"automation": "flow:X", "tier": "x"}, ("tier", "must be a whole number, got 'x'")),
        ({"automation": "flow:X", "tier": 12}, ("tier", "must be at most 9, got 12")),
        (
            {"automation": "flow:X", "allow_managed": "maybe"},
            ("allow_managed", "must be true or false, got 'maybe'"),
        ),
        ({}, ("automation", "is required")),
    ],
)
def test_allowlist_field_errors_read_plainly(
    fields: dict[str, Any], expected: tuple[str, str]
) -> None:
    described = _described(**fields)

    assert described == expected
    assert not any(words in described[1] for words in _PYDANTIC_WORDS)


def test_a_long_refused_value_is_shortened() -> None:
    _, message = _described(automation="flow:X", tier="x" * 200)

    assert message.startswith("must be a whole number, got 'xxx")
    assert message.endswith("...")
    assert len(message) < 100


def test_a_function_event_names_the_field_plainly() -> None:
    answer = parse_event(AllowlistEntry, {"connection_id": "sf", "automation": "flow:X", "tier": 0})

    assert isinstance(answer, InvalidInput)
    assert (answer.field, answer.message) == ("tier", "must be at least 1, got 0")


def test_a_secret_field_error_is_plain_and_never_quotes_the_value() -> None:
    connection = Connection(connection_id="sf", platform=Platform.SALESFORCE, secret_id="s")
    secret = {
        "auth": "client_credentials",
        "instance_url": "not-a-url-s3cret",
        "client_id": "id",
        "client_secret": "cs",
    }
    with pytest.raises(SecretInvalid) as caught:
        validate_secret(connection, secret)

    assert caught.value.field == "instance_url"
    assert caught.value.problem.startswith("must be a URL")
    assert "s3cret" not in str(caught.value)
