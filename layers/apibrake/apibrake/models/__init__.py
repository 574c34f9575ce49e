"""Pydantic models for everything users touch: connections, secrets, allowlist, events, reports."""
