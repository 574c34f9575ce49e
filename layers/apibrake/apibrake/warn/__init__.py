"""Warn: decide which alerts are due, word them, and publish each once per window."""
