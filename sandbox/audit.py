"""Every mutation the sandbox performs, so tests can prove what was and was not touched."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Mutation:
    at: datetime
    platform: str  # salesforce | hubspot
    kind: str  # flow_activation | job_abort | job_schedule | workflow_put
    target: str  # DeveloperName, job name or flow id
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    actor: str = "api"  # "api" for calls over HTTP, "human" for edits made by a test


class AuditLog:
    def __init__(self) -> None:
        self._entries: list[Mutation] = []
        self._lock = threading.Lock()

    def record(self, mutation: Mutation) -> None:
        with self._lock:
            self._entries.append(mutation)

    def entries(self, platform: str | None = None, kind: str | None = None) -> list[Mutation]:
        with self._lock:
            return [
                m
                for m in self._entries
                if (platform is None or m.platform == platform) and (kind is None or m.kind == kind)
            ]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
