"""Turn pydantic validation errors into one line that names the field."""

from __future__ import annotations

from pydantic import ValidationError


def describe(exc: ValidationError) -> tuple[str, str]:
    """(field path, message) of the first error, e.g. ("warn_at.0", "Input should be ...")."""
    first = exc.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "(item)"
    return field, first["msg"]
