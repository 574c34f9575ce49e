"""Fixtures of the model-based test: the function environment undone after each test, and
the reliability tests' millisecond retries and short read timeout (same decisions)."""

from tests.integration.conftest import function_env
from tests.reliability.conftest import fast_retries

__all__ = ["fast_retries", "function_env"]
