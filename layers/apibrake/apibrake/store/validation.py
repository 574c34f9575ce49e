"""Turn pydantic validation errors into one line that names the field."""

from __future__ import annotations

import re

from pydantic import ValidationError

# A rule that names its field first: "warn_at: must be ...".
_NAMED = re.compile(r"^([a-z_][a-z0-9_.]*): (.+)$", re.DOTALL)


def describe(exc: ValidationError) -> tuple[str, str]:
    """(field path, message) of the first error, e.g. ("warn_at.0", "Input should be ..."),
    without pydantic's "Value error, " prefix or the field said twice."""
    first = exc.errors(include_url=False)[0]
    field = ".".join(str(part) for part in first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    named = _NAMED.match(message)
    if named and (not field or named.group(1) == field):
        return named.group(1), named.group(2)
    return field or "(item)", message
