"""Fixtures of the brake and release integration tests (see brake_support.py)."""

from tests.integration.brake_support import brake_env, brake_stack

__all__ = ["brake_env", "brake_stack"]
