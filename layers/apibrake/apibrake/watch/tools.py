"""One monitor run's options and collaborators, as the blocking actions (watch/act.py,
watch/failures.py) receive them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from apibrake.attribution import AttributionMemory
from apibrake.http.client import Timeouts
from apibrake.http.retry import RetryPolicy
from apibrake.models.connection import Connection, Platform
from apibrake.warn.claims import RunClaims
from apibrake.warn.dispatch import AlertDispatcher, Publisher
from apibrake.warn.messages import AlertContext
from apibrake.warn.trigger import Invoker
from apibrake.watch.decide import DecisionSettings
from apibrake.watch.forecast import DEFAULT_RATE_WINDOW, Forecast
from apibrake.watch.ports import AllowlistSource, ReadingStore
from apibrake.watch.reset import window_end
from apibrake.watch.usage import cached_portal_offset


@dataclass(frozen=True)
class MonitorOptions:
    forecast_horizon_minutes: float = 60.0
    max_concurrency: int = 25
    secret_prefix: str = "apibrake/"  # noqa: S105 - a name prefix, not a secret
    incident_function_name: str = "<IncidentResponderFunctionName>"
    stack_name: str = ""  # for the alerts' commands
    region: str = ""
    rate_window: timedelta = DEFAULT_RATE_WINDOW
    retry: RetryPolicy | None = None
    timeouts: Timeouts | None = None
    max_retries_per_run: int = 20


@dataclass(frozen=True)
class RunTools:
    """Claims seen live stay live for one run only: a run gets fresh tools."""

    state: ReadingStore
    claims: RunClaims
    alerts: AlertDispatcher
    publisher: Publisher
    allowlist: AllowlistSource
    invoker: Invoker | None
    attribution: AttributionMemory | None
    options: MonitorOptions
    clock: Callable[[], datetime]

    @classmethod
    def for_run(
        cls,
        *,
        state: ReadingStore,
        publisher: Publisher,
        allowlist: AllowlistSource,
        invoker: Invoker | None,
        attribution: AttributionMemory | None,
        options: MonitorOptions,
        clock: Callable[[], datetime],
    ) -> RunTools:
        claims = RunClaims(state)
        alerts = AlertDispatcher(claims, publisher, lambda cid: allowlist.for_connection(cid)[0])
        return cls(
            state, claims, alerts, publisher, allowlist, invoker, attribution, options, clock
        )

    @property
    def decision_settings(self) -> DecisionSettings:
        return DecisionSettings(
            horizon_minutes=self.options.forecast_horizon_minutes,
            rate_window=self.options.rate_window,
            responder=self.invoker is not None,
        )

    def context(self, outlook: Forecast | None, error: str | None, braked: bool) -> AlertContext:
        return AlertContext(
            forecast=outlook,
            error=error,
            now=self.clock(),
            auto_brake_triggered=braked,
            incident_function_name=self.options.incident_function_name,
            stack_name=self.options.stack_name,
            region=self.options.region,
            horizon_minutes=self.options.forecast_horizon_minutes,
        )


def alert_window_ends(
    connection: Connection, now: datetime, resets_at: datetime | None
) -> datetime:
    return window_end(
        now=now,
        resets_at=resets_at,
        rolling=connection.platform is Platform.SALESFORCE,
        utc_offset=cached_portal_offset(connection.connection_id),
    )
