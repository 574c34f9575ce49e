"""EMF metrics per connection through Powertools: one EMF document per connection, with
connection_id and platform as dimensions, so the dashboard can graph each one."""

from __future__ import annotations

from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from apibrake.watch.report import ConnectionCheck


class UsageMetrics:
    def __init__(self, namespace: str, service: str = "apibrake") -> None:
        self._namespace = namespace
        self._service = service

    def record(self, check: ConnectionCheck) -> None:
        # EphemeralMetrics keeps its own metric set: one flush per connection, and no
        # interference with the handler's Metrics instance.
        metrics = EphemeralMetrics(namespace=self._namespace, service=self._service)
        metrics.add_dimension(name="connection_id", value=check.connection_id)
        metrics.add_dimension(
            name="platform", value=check.platform.value if check.platform else "unknown"
        )
        if check.error and not check.limit_exhausted:
            metrics.add_metric(name="ConnectionErrors", unit=MetricUnit.Count, value=1)
        if check.limit_exhausted and check.remaining is None:
            metrics.add_metric(name="CallsRemaining", unit=MetricUnit.Count, value=0)
        if check.percent is not None:
            metrics.add_metric(name="UsagePercent", unit=MetricUnit.Percent, value=check.percent)
        if check.used is not None:
            metrics.add_metric(name="CallsUsed", unit=MetricUnit.Count, value=check.used)
        if check.remaining is not None:
            metrics.add_metric(name="CallsRemaining", unit=MetricUnit.Count, value=check.remaining)
        if check.burn_rate_per_hour is not None:
            metrics.add_metric(
                name="BurnRatePerHour", unit=MetricUnit.Count, value=check.burn_rate_per_hour
            )
        if check.minutes_to_exhaustion is not None:
            metrics.add_metric(
                name="MinutesToExhaustion",
                unit=MetricUnit.NoUnit,
                value=check.minutes_to_exhaustion,
            )
        if check.alerts_sent:
            metrics.add_metric(
                name="AlertsSent", unit=MetricUnit.Count, value=len(check.alerts_sent)
            )
        metrics.flush_metrics()
