"""Turn pydantic validation errors into one line that names the field."""

from __future__ import annotations

import re

from pydantic import ValidationError

# A rule across fields (a model validator) names its field first: "warn_at: must be ...".
_NAMED = re.compile(r"^(?:Value error, )?([a-z_][a-z0-9_.]*): (.+)$", re.DOTALL)


def describe(exc: ValidationError) -> tuple[str, str]:
    """(field path, message) of the first error, e.g. ("warn_at.0", "Input should be ...")."""
    first = exc.errors()[0]
    field = ".".join(str(part) for part in first["loc"])
    if not field and (named := _NAMED.match(first["msg"])):
        return named.group(1), named.group(2)
    return field or "(item)", first["msg"]
