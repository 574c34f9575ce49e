"""Random platform faults at a seeded rate: each request a sandbox server takes may meet one
of the faults the sandbox knows (the server's own fault list still comes first)."""

from __future__ import annotations

import random
import threading
from collections import Counter

from sandbox.faults import Fault, FaultKind

SALESFORCE_KINDS = [
    FaultKind.STATUS,
    FaultKind.RESET,
    FaultKind.CONCURRENT_LIMIT,
    FaultKind.EXPIRED_TOKEN,
    FaultKind.APPLIED_LOST,
    FaultKind.TIMEOUT,
    FaultKind.HTML_ERROR,
]
HUBSPOT_KINDS = [
    FaultKind.STATUS,
    FaultKind.RESET,
    FaultKind.BURST_LIMIT,
    FaultKind.EXPIRED_TOKEN,
    FaultKind.APPLIED_LOST,
    FaultKind.TIMEOUT,
    FaultKind.MALFORMED_JSON,
]
HELD_MS = 700  # a lost answer or a timeout outlasts the soak's 0.6 s read timeout


class PlatformFaults:
    def __init__(self, seed: int, rate: float) -> None:
        self.random = random.Random(seed)
        self.rate = rate
        self.enabled = True
        self.injected: Counter[str] = Counter()
        self._lock = threading.Lock()

    def attach(self, server: object, platform: str) -> None:
        take = server.faults.take  # type: ignore[attr-defined]
        kinds = SALESFORCE_KINDS if platform == "salesforce" else HUBSPOT_KINDS

        def maybe_fault(method: str, path: str) -> Fault | None:
            planned: Fault | None = take(method, path)
            if planned is not None:
                return planned
            with self._lock:
                if not self.enabled or self.random.random() >= self.rate:
                    return None
                kind = self.random.choice(kinds)
                self.injected[f"{platform} {kind.value}"] += 1
            held = kind in (FaultKind.APPLIED_LOST, FaultKind.TIMEOUT)
            status = 502 if kind is FaultKind.HTML_ERROR else 503
            return Fault(kind=kind, delay_ms=HELD_MS if held else 0, status=status)

        server.faults.take = maybe_fault  # type: ignore[attr-defined]
