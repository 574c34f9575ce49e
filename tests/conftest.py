"""Shared fixtures: the local AWS stack (moto server) and the platform sandbox."""

pytest_plugins = ["tests.fixtures.aws", "tests.fixtures.sandbox"]
