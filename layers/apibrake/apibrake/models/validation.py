"""Turn pydantic validation errors into one line that names the field, in plain words.

A person fixing a CSV row or a secret file reads "tier: must be a whole number, got 'x'",
not pydantic's "Input should be a valid integer, unable to parse string as an integer".
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

# A rule that names its field first: "warn_at: must be ...".
_NAMED = re.compile(r"^([a-z_][a-z0-9_.]*): (.+)$", re.DOTALL)
_VALUE_SHOWN = 60  # characters of a refused value quoted back, at most

# pydantic error type -> what the value must be (ctx fields fill the braces).
_MUST_BE = {
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "string_type": "must be text",
    "greater_than_equal": "must be at least {ge}",
    "greater_than": "must be more than {gt}",
    "less_than_equal": "must be at most {le}",
    "less_than": "must be less than {lt}",
    "string_too_long": "must be at most {max_length} characters",
    "string_pattern_mismatch": "has characters that are not allowed (pattern {pattern})",
    "url_parsing": "must be a URL such as https://example.com",
    "url_type": "must be a URL such as https://example.com",
    "url_scheme": "must be a URL starting with {expected_schemes}",
    "literal_error": "must be one of: {expected}",
    "enum": "must be one of: {expected}",
    "list_type": "must be a list",
    "tuple_type": "must be a list",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "too_short": "must hold at least {min_length} item(s)",
    "too_long": "must hold at most {max_length} item(s)",
}


def describe(
    exc: ValidationError, *, show_values: bool = True, unnamed: str = "(item)"
) -> tuple[str, str]:
    """(field path, plain message) of the first error, e.g. ("tier", "must be a whole
    number, got 'x'"); `show_values=False` never quotes the refused value (a secret's);
    `unnamed` names an error about the whole input."""
    first = exc.errors(include_url=False)[0]
    return describe_error(first, show_values=show_values, unnamed=unnamed)


def describe_error(
    error: ErrorDetails, *, show_values: bool = True, unnamed: str = "(item)"
) -> tuple[str, str]:
    field = ".".join(str(part) for part in error["loc"])
    message = plain_message(error, show_values=show_values)
    named = _NAMED.match(message)
    if named and (not field or named.group(1) == field):
        return named.group(1), named.group(2)
    return field or unnamed, message


def plain_message(error: ErrorDetails, *, show_values: bool = True) -> str:
    kind = error["type"]
    # 0.0 reads as 0: limits on float fields are whole numbers more often than not.
    context: dict[str, Any] = {
        key: f"{value:g}" if isinstance(value, float) else value
        for key, value in (error.get("ctx") or {}).items()
    }
    if kind == "value_error":
        # Our own validators' words, without pydantic's prefix.
        return str(error["msg"]).removeprefix("Value error, ")
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known field"
    if kind == "string_too_short":
        minimum = context.get("min_length", 1)
        return "must not be empty" if minimum == 1 else f"must be at least {minimum} characters"
    template = _MUST_BE.get(kind)
    if template is None:
        return str(error["msg"])  # a rare type: pydantic's words beat none
    try:
        said = template.format(**context)
    except (KeyError, IndexError):
        said = template.split(" {")[0]
    if show_values and "input" in error and not isinstance(error["input"], dict | list):
        said += f", got {_shown(error['input'])}"
    return said


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _VALUE_SHOWN else text[: _VALUE_SHOWN - 3] + "..."
