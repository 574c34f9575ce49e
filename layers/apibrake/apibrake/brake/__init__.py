"""Brake: switch off allowlisted automations, journalling each prior state first."""
