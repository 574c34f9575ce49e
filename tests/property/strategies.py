"""Hypothesis strategies for junk: any JSON value, and objects that look almost right."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Few examples each, so the folder runs in seconds. Fixtures are set up once per test, not
# per example: every property must hold whatever earlier examples left behind.
BAD_INPUT = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Examples that run handlers or write tables against the local stack cost ~0.1 s each.
ON_THE_STACK = settings(BAD_INPUT, max_examples=15)

KEYS = st.text(min_size=1, max_size=10)  # DynamoDB refuses empty attribute names
# Rounded: DynamoDB cannot store magnitudes below 1e-130, so such a row never exists.
FLOATS = st.floats(min_value=-1e9, max_value=1e9).map(lambda x: round(x, 6))
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**40), max_value=2**40)
    | FLOATS
    | st.text(max_size=30)
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=12,
)


def near(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects with some of `fields` (each plausible or junk) and maybe an unknown key."""
    optional = {name: strategy | JSON for name, strategy in fields.items()}
    return st.fixed_dictionaries({}, optional={**optional, "unexpected": JSON})


def names_a_field(field: str, given: dict[str, Any] | Any, known: set[str]) -> bool:
    """The error's field path starts with a key the input had, or one the model requires."""
    head = field.split(".")[0]
    keys = set(given) if isinstance(given, dict) else set()
    return head in keys | known
