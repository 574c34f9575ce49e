"""Each connection's check as one structured log line ("connection checked"): the values
the dashboard's Logs Insights widgets read. Costs log ingestion (~0.5 KB a check), not a
custom metric per connection; PerConnectionMetrics adds the metrics (watch/metrics.py)."""

from __future__ import annotations

import logging
from typing import Protocol

from apibrake.watch.report import ConnectionCheck

logger = logging.getLogger(__name__)
MESSAGE = "connection checked"


class MetricsSink(Protocol):
    def record(self, check: ConnectionCheck) -> None: ...


class UsageLogFields:
    def __init__(self, metrics: MetricsSink | None = None) -> None:
        self._metrics = metrics  # per-connection metrics too, when opted in

    def record(self, check: ConnectionCheck) -> None:
        # Numbers and ids only: never a secret, a token or a platform answer's text.
        logger.info(
            MESSAGE,
            extra={
                "connection_id": check.connection_id,
                "platform": check.platform.value if check.platform else "unknown",
                "usage_percent": check.percent,
                "calls_used": check.used,
                "calls_remaining": check.remaining,
                "burn_rate_per_hour": check.burn_rate_per_hour,
                "minutes_to_exhaustion": check.minutes_to_exhaustion,
                "temperature": check.temperature.value if check.temperature else None,
                "alerts": len(check.alerts_sent),
                "auto_brake": int(check.auto_brake_triggered),
                "error": int(bool(check.error) and not check.limit_exhausted),
                "limit_exhausted": int(check.limit_exhausted),
            },
        )
        if self._metrics is not None:
            self._metrics.record(check)
