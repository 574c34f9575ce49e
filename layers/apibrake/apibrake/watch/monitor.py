"""The usage monitor: check every connection concurrently, store, forecast, warn, brake.

Platform calls run concurrently on one shared httpx.AsyncClient, bounded by a semaphore.
AWS calls (boto3, blocking) run in worker threads so they never stall the event loop.
A connection that fails in any way becomes an error row; the others carry on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

import httpx

from apibrake.attribution import AttributionMemory, collected_suspects
from apibrake.aws_threads import AWS_THREADS, AwsThreads
from apibrake.deadline import Deadline
from apibrake.http import transport
from apibrake.http.client import Timeouts
from apibrake.http.errors import DailyLimitExhausted, PlatformError
from apibrake.http.retry import RetryBudget, RetryPolicy
from apibrake.models.allowlist import BREAK_GLASS_KINDS, AllowlistEntry
from apibrake.models.attribution import Suspects
from apibrake.models.cadence import CadenceState, Temperature
from apibrake.models.connection import Connection, Platform
from apibrake.models.entitlement import Entitlement
from apibrake.models.events import BrakeEvent
from apibrake.models.reports import ConnectionFailure
from apibrake.models.usage import UsageReading
from apibrake.platforms.connect import (
    SecretInvalid,
    SecretUnreadable,
    connect,
    load_connection_secret,
)
from apibrake.store.entitlements import Entitlements
from apibrake.warn.claims import ClaimStore, RunClaims
from apibrake.warn.dispatch import AlertDispatcher, Publisher
from apibrake.warn.messages import AlertContext
from apibrake.warn.notices import connection_notices
from apibrake.warn.publisher import Alert, Severity
from apibrake.warn.rules import (
    AUTO_BRAKE_KEY,
    FULL,
    MONITOR_REQUESTER,
    AlertKind,
    DueAlert,
    brake_threshold_alert,
    connection_error_alert,
    exhausted_alert,
    outside_reach_alert,
    usage_alerts,
)
from apibrake.warn.trigger import Invoker
from apibrake.watch import cadence, pace
from apibrake.watch.ahead import BrakeAhead, brake_ahead
from apibrake.watch.attribution import (
    gather_suspects,
    wants_suspects,
    with_released_unchanged,
)
from apibrake.watch.cadence import Intervals
from apibrake.watch.drivers_now import read_drivers_now
from apibrake.watch.forecast import (
    DEFAULT_RATE_WINDOW,
    Forecast,
    burn_rate_per_hour,
    forecast,
    rate_since_last_check,
)
from apibrake.watch.report import ConnectionCheck, HeaderReading, MonitorReport
from apibrake.watch.reset import window_end
from apibrake.watch.shadow import brake_reason, start_shadow_brake
from apibrake.watch.tick import TickPlan, next_state, plan_tick, schedule_next
from apibrake.watch.usage import UsageRead, cached_portal_offset, read_usage

if TYPE_CHECKING:
    from apibrake.platforms.client import PlatformClient
    from apibrake.platforms.salesforce.client import SalesforceClient

logger = logging.getLogger(__name__)
T = TypeVar("T")

NOT_REACHED = "not checked before the deadline: the next scheduled run checks it"
INVALID_ITEM_WINDOW = timedelta(hours=24)
PREVIOUS_CHECK_LOOKBACK = timedelta(hours=6)
EXHAUSTED_NOTE = "no source queried: the org refuses calls until its limit recovers"


class ConnectionSource(Protocol):
    def load(
        self, connection_ids: list[str] | None = None, *, include_disabled: bool = False
    ) -> tuple[list[Connection], list[ConnectionFailure]]: ...


class ReadingStore(ClaimStore, Protocol):
    def put_readings(self, connection_id: str, readings: list[UsageReading]) -> None: ...

    def readings_since(self, connection_id: str, since: datetime) -> list[UsageReading]: ...

    def cadence_states(self) -> dict[str, CadenceState]: ...

    def claimed_at(self, connection_id: str, alert_key: str) -> datetime | None: ...

    def put_cadence_states(self, states: list[CadenceState], *, now: datetime) -> None: ...

    def released_unchanged(self, connection_id: str, *, now: datetime) -> dict[str, datetime]: ...

    def entitlements(self) -> Entitlements: ...


class AllowlistSource(Protocol):
    def for_connection(self, connection_id: str) -> tuple[list[AllowlistEntry], list[Any]]: ...


class MetricsSink(Protocol):
    def record(self, check: ConnectionCheck) -> None: ...


@dataclass(frozen=True)
class Assessment:
    """What a check decided before anything goes out: the forecast and the alerts claimed."""

    now: datetime
    outlook: Forecast
    heat: Temperature
    rate_now: float | None
    due: list[DueAlert]
    won: list[DueAlert]
    ahead: BrakeAhead | None
    given_back: tuple[str, ...] = ()  # claims to give back: the brake they were for stood down
    entitlement: Entitlement | None = None  # read only at 100 % and past it


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


def _utcnow() -> datetime:
    return datetime.now(UTC)


class UsageMonitor:
    def __init__(
        self,
        *,
        connections: ConnectionSource,
        state: ReadingStore,
        allowlist: AllowlistSource,
        publisher: Publisher,
        secrets: Callable[[str], Mapping[str, Any]],
        invoker: Invoker | None = None,
        metrics: MetricsSink | None = None,
        options: MonitorOptions | None = None,
        clock: Callable[[], datetime] = _utcnow,
        http_client: Callable[[], httpx.AsyncClient] | None = None,
        attribution: AttributionMemory | None = None,
    ) -> None:
        self._connections = connections
        self._state = state
        self._secrets = secrets
        self._invoker = invoker
        self._metrics = metrics
        self._options = options or MonitorOptions()
        self._clock = clock
        self._http_client = http_client or transport.platform_client
        self._allowlist = allowlist
        self._publisher = publisher
        self._attribution = attribution
        self._threads: AwsThreads | None = None
        self._claims = RunClaims(state)
        self._alerts = self._dispatcher()

    def _dispatcher(self) -> AlertDispatcher:
        return AlertDispatcher(
            self._claims, self._publisher, lambda cid: self._allowlist.for_connection(cid)[0]
        )

    def run(
        self,
        connection_ids: list[str] | None = None,
        deadline: Deadline | None = None,
        *,
        scheduled: bool = False,
    ) -> MonitorReport:
        return asyncio.run(self.check(connection_ids, deadline, scheduled=scheduled))

    async def check(
        self,
        connection_ids: list[str] | None = None,
        deadline: Deadline | None = None,
        *,
        scheduled: bool = False,
    ) -> MonitorReport:
        """Checks the connections; once `deadline` has no time left, the ones not started
        yet are reported as not reached (the next scheduled run checks them). A scheduled
        tick checks only the connections its cadence says are due, most urgent first; any
        other run checks every one of them now."""
        checked_at = self._clock()
        deadline = deadline or Deadline()
        # Claims seen live stay live for this run only: the next run reads them afresh.
        self._claims = RunClaims(self._state)
        self._alerts = self._dispatcher()
        with AwsThreads(min(self._options.max_concurrency, AWS_THREADS)) as threads:
            self._threads = threads
            # Two reads, side by side: all a tick with nothing due costs.
            (connections, failures), states = await asyncio.gather(
                self._in_thread(self._connections.load, connection_ids),
                self._in_thread(self._state.cadence_states),
            )
            plan = plan_tick(connections, failures, states, checked_at, scheduled=scheduled)
            checks = list(plan.not_due)
            if plan.due:
                checks += await self._check_due(plan.due, deadline)
            checks += await asyncio.gather(
                *(self._in_thread(self._invalid_item, failure) for failure in plan.invalid)
            )
            schedule_next(checks, plan, checked_at)
            if plan.due or plan.invalid:
                await self._in_thread(self._save_cadence, checks, plan, checked_at)
        report = MonitorReport(
            checked_at=checked_at,
            connections=sorted(checks, key=lambda check: check.connection_id),
            overdue=plan.overdue,
        )
        if not report.complete:
            skipped = [check.connection_id for check in report.connections if check.not_reached]
            logger.warning("deadline: connections left unchecked", extra={"connections": skipped})
        if report.overdue:
            logger.warning("hot connections checked late", extra={"overdue": report.overdue})
        if self._metrics is not None:
            for check in report.connections:
                if not (check.not_reached or check.not_due):  # no reading: no data point
                    self._metrics.record(check)
        return report

    async def _check_due(
        self, connections: list[Connection], deadline: Deadline
    ) -> list[ConnectionCheck]:
        budget = RetryBudget(self._options.max_retries_per_run)
        gate = asyncio.Semaphore(self._options.max_concurrency)
        async with self._http_client() as client:

            async def bounded(connection: Connection) -> ConnectionCheck:
                async with gate:
                    if not deadline.has_time():
                        return _not_reached(connection)
                    try:
                        return await self._check_one(connection, client, budget)
                    except Exception as error:  # a bug in one check must not stop the rest
                        logger.exception(
                            "connection check failed",
                            extra={"connection_id": connection.connection_id},
                        )
                        return _unexpected(connection, error)

            return list(await asyncio.gather(*(bounded(c) for c in connections)))

    def _save_cadence(
        self, checks: list[ConnectionCheck], plan: TickPlan, checked_at: datetime
    ) -> None:
        """What this tick learnt; a connection whose check did not happen keeps its old
        state, so it is still due on the next tick."""
        try:
            states = [next_state(check, plan, checked_at) for check in checks]
            self._state.put_cadence_states(
                [state for state in states if state is not None], now=checked_at
            )
        except Exception:  # the checks stand; the next tick only checks them again
            logger.exception("cadence state not saved")

    async def _in_thread(self, function: Callable[..., T], *args: Any) -> T:
        assert self._threads is not None  # set for the whole of check()
        return await self._threads.call(function, *args)

    # one connection -----------------------------------------------------------------------

    async def _check_one(
        self, connection: Connection, client: httpx.AsyncClient, budget: RetryBudget
    ) -> ConnectionCheck:
        row = ConnectionCheck(connection_id=connection.connection_id, platform=connection.platform)
        platform_client: PlatformClient | None = None
        try:
            secret = await self._load_secret(connection)
            platform_client = connect(
                connection,
                secret,
                client,
                budget=budget,
                retry=self._options.retry,
                timeouts=self._options.timeouts,
                now=self._clock,
            )
            read = await read_usage(connection, platform_client, now=self._clock())
        except DailyLimitExhausted as error:
            _count_calls(row, platform_client)
            org_id = await _org_id_without_calls(connection, platform_client)
            return await self._in_thread(self._exhausted, connection, row, error, org_id)
        except SecretInvalid as error:
            return await self._failed(connection, row, str(error), "SecretInvalid", error.field)
        except SecretUnreadable as error:
            return await self._failed(connection, row, str(error), "SecretUnreadable", error.field)
        except PlatformError as error:
            _count_calls(row, platform_client)
            return await self._failed(connection, row, str(error), type(error).__name__, None)
        except Exception as error:  # a bug or a surprise must not stop the other connections
            logger.exception(
                "connection check failed", extra={"connection_id": connection.connection_id}
            )
            _count_calls(row, platform_client)
            message = f"unexpected {type(error).__name__} while reading usage"
            return await self._failed(connection, row, message, type(error).__name__, None)
        _count_calls(row, platform_client)
        try:
            # Thread, loop, thread: no worker ever waits on the event loop, so neither an
            # exception nor a cancellation can leave the two waiting on each other.
            assessed = await self._in_thread(self._assess, connection, row, read)
            if _brakes_for_the_tail_alone(connection, assessed):
                assessed = await self._unless_drivers_stopped(connection, platform_client, assessed)
                _count_calls(row, platform_client)
            if self._attribution is not None and wants_suspects(assessed.won):
                # Before the brake: its report's "before" is what the alert names.
                row.suspects = await self._suspects(connection, platform_client, read.reading)
                _count_calls(row, platform_client)  # what the sources cost counts too
            return await self._in_thread(self._act, connection, row, read, assessed)
        except Exception as error:
            logger.exception(
                "storing or alerting failed", extra={"connection_id": connection.connection_id}
            )
            row.error = f"reading taken but not processed: {type(error).__name__}"
            return row

    async def _suspects(
        self, connection: Connection, platform_client: PlatformClient, reading: UsageReading
    ) -> Suspects | None:
        """Attribution is a bonus: the alert goes out whatever happens here."""
        assert self._attribution is not None
        try:
            entries = (
                await self._in_thread(self._allowlist.for_connection, connection.connection_id)
            )[0]
            suspects = await gather_suspects(
                connection, platform_client, reading, entries, self._attribution, self._clock()
            )
        except Exception:
            logger.exception(
                "suspects not gathered", extra={"connection_id": connection.connection_id}
            )
            return None
        if suspects is None or not any(d.automation for d in suspects.drivers):
            return suspects
        return await self._in_thread(self._burning_again, connection.connection_id, suspects)

    async def _unless_drivers_stopped(
        self, connection: Connection, platform_client: PlatformClient, assessed: Assessment
    ) -> Assessment:
        """A brake ahead for the tail alone stands down when the records' drivers have
        stopped: the tail is spent whatever apibrake does (watch/drivers_now.py)."""
        assert assessed.ahead is not None
        # A Salesforce connection's client (checked by the caller), never imported here:
        # the platform modules load on first use.
        client = cast("SalesforceClient", platform_client)
        found = await read_drivers_now(client, connection.protected, assessed.now)
        if found is None or not found.stopped(assessed.ahead.rate_per_hour):
            return assessed
        logger.info(
            "brake ahead stood down: the drivers stopped changing records",
            extra={
                "connection_id": connection.connection_id,
                "records": found.records,
                "recent_records": found.recent_records,
            },
        )
        braking = [a for a in assessed.won if a.kind is AlertKind.BRAKE_THRESHOLD]
        return replace(
            assessed,
            ahead=None,
            due=[a for a in assessed.due if a.kind is not AlertKind.BRAKE_THRESHOLD],
            won=[a for a in assessed.won if a.kind is not AlertKind.BRAKE_THRESHOLD],
            given_back=tuple(a.key for a in braking),
        )

    def _burning_again(self, connection_id: str, suspects: Suspects) -> Suspects:
        """The drivers a person released unchanged lately, marked so (blocking: one DynamoDB
        query); unmarked when the query fails, the alert goes out all the same."""
        try:
            released = self._state.released_unchanged(connection_id, now=self._clock())
        except Exception:
            logger.exception("released drivers not read", extra={"connection_id": connection_id})
            return suspects
        return with_released_unchanged(suspects, released) if released else suspects

    async def _load_secret(self, connection: Connection) -> Mapping[str, Any]:
        return await self._in_thread(
            load_connection_secret, connection, self._secrets, self._options.secret_prefix
        )

    def _assess(self, connection: Connection, row: ConnectionCheck, read: UsageRead) -> Assessment:
        """Stores the reading, forecasts, and claims the alerts now due (blocking)."""
        now = self._clock()
        self._state.put_readings(connection.connection_id, list(read.readings))
        # The hour's rate needs one hour; the pace of hourly steps, three (watch/pace.py).
        since = now - max(self._options.rate_window, pace.history_needed())
        history = self._state.readings_since(connection.connection_id, since)
        outlook = forecast(
            read.reading,
            history,
            now=now,
            brake_at=connection.brake_at,
            resets_at=read.resets_at,
            window=self._options.rate_window,
        )
        _fill(row, outlook, read)
        resets = read.resets_at is not None
        same_source = [*(r for r in history if r.source is read.reading.source), read.reading]
        rate_now = rate_since_last_check(same_source, now=now, resets=resets)
        heat = cadence.temperature(
            connection,
            outlook,
            rate_now_per_hour=rate_now,
            horizon_minutes=self._options.forecast_horizon_minutes,
        )
        entitlement = self._entitlement(connection, outlook)
        due = usage_alerts(
            connection,
            outlook,
            horizon_minutes=self._options.forecast_horizon_minutes,
            # A reading past 100 % was served: in overage, unless the org has none.
            in_overage=entitlement is not None and entitlement.no_overage_reason is None,
        )
        ahead = None
        if not any(alert.kind is AlertKind.BRAKE_THRESHOLD for alert in due):
            ahead = self._brake_ahead(connection, same_source, heat, now, read.resets_at, rate_now)
            if ahead is not None and connection.brakes_automatically:  # a shadow brakes nothing
                due = [*due, brake_threshold_alert(connection.effective_brake_at)]
        won = self._alerts.claim(connection, due, now=now, window_ends=read.window_ends)
        return Assessment(now, outlook, heat, rate_now, due, won, ahead, entitlement=entitlement)

    def _act(
        self, connection: Connection, row: ConnectionCheck, read: UsageRead, assessed: Assessment
    ) -> ConnectionCheck:
        """Brakes if due, then sends the alerts won (blocking)."""
        now, outlook, due, ahead = assessed.now, assessed.outlook, assessed.due, assessed.ahead
        for key in assessed.given_back:
            self._claims.release_alert_claim(connection.connection_id, key)
        won = list(assessed.won)
        reach_rate = None
        threshold_due = any(alert.kind is AlertKind.BRAKE_THRESHOLD for alert in due)
        if connection.brakes_in_shadow and (threshold_due or ahead is not None):
            row.shadow_brake_started = self._shadow_brake(connection, row, read, assessed)
        if threshold_due:
            row.auto_brake_triggered = self._maybe_brake(
                connection, outlook, now, read.window_ends, ahead, row.suspects
            )
            row.braked_ahead = row.auto_brake_triggered and ahead is not None
            if (
                ahead is None
                and connection.brakes_automatically
                and self._invoker is not None
                and not row.auto_brake_triggered
            ):
                # Braked earlier in this window: is usage still heading for 100 %?
                reach_rate = assessed.rate_now
                reach = outside_reach_alert(
                    outlook, reach_rate, horizon_minutes=self._options.forecast_horizon_minutes
                )
                if reach is not None and self._in_the_tail(connection, now):
                    reach = None  # the sync of what changed before the brake: it ends
                if reach is not None:
                    won += self._alerts.claim(
                        connection, [reach], now=now, window_ends=read.window_ends
                    )
        context = replace(
            self._context(outlook, None, row.auto_brake_triggered),
            rate_now_per_hour=reach_rate,
            suspects=row.suspects,
            brake_ahead=ahead,
            entitlement=assessed.entitlement,
        )
        row.alerts_sent = self._alerts.send(connection, won, context)
        row.alerts_sent += self._send_notices(connection, read, now)
        row.temperature = assessed.heat  # last: a check that failed above is tried next tick
        return row

    def _shadow_brake(
        self, connection: Connection, row: ConnectionCheck, read: UsageRead, assessed: Assessment
    ) -> bool:
        """auto_brake: shadow, where the real brake would start: the plan, once a window."""
        if self._invoker is None:
            return False
        return start_shadow_brake(
            self._claims,
            self._invoker,
            connection,
            outlook=assessed.outlook,
            ahead=assessed.ahead,
            now=assessed.now,
            window_ends=read.window_ends,
            suspects=row.suspects,
        )

    def _in_the_tail(self, connection: Connection, now: datetime) -> bool:
        """Within brake_tail_minutes of the brake, consumers still sync the records changed
        before it: calls going on then are the tail, not something outside apibrake's reach."""
        started = self._state.claimed_at(connection.connection_id, AUTO_BRAKE_KEY)
        return started is not None and now - started < timedelta(minutes=connection.tail_minutes)

    def _brake_ahead(
        self,
        connection: Connection,
        readings: list[UsageReading],
        heat: Temperature,
        now: datetime,
        resets_at: datetime | None,
        rate_now: float | None,
    ) -> BrakeAhead | None:
        """Only where the brake would really start: brake_ahead and auto_brake on (or in
        shadow, which plans where it would start), and a responder to start. Ahead of a fast
        climb, else before the next of hourly steps."""
        watched = connection.brakes_automatically or connection.brakes_in_shadow
        if not (connection.brake_ahead and watched and self._invoker is not None):
            return None
        next_check = Intervals.of(connection).of_temperature(heat).total_seconds() / 60.0
        return brake_ahead(
            readings,
            threshold=connection.effective_brake_at,
            look_ahead_minutes=next_check + connection.brake_lead_minutes,
            now=now,
            resets=resets_at is not None,
            tail_minutes=connection.tail_minutes,
        ) or pace.brake_before_next_step(
            readings,
            threshold=connection.effective_brake_at,
            now=now,
            resets_at=resets_at,
            rate_now_per_hour=rate_now,
            tail_minutes=connection.tail_minutes,
            # Below release_below the scheduled release would put it all back before the
            # next step: such a brake would stop nothing and alert again every hour.
            floor=connection.release_below,
        )

    def _send_notices(self, connection: Connection, read: UsageRead, now: datetime) -> list[str]:
        """Set-up notices, each once per its period; a failed publish gives the claim back."""
        sent = []
        cid = connection.connection_id
        for notice in connection_notices(
            connection, gap=read.gap, api_versions=read.api_versions, now=now
        ):
            if not self._claims.claim_alert(
                cid, notice.key, now=now, window_ends=now + notice.every
            ):
                continue
            try:
                self._publisher.publish(notice.alert)
            except Exception:
                logger.exception("notice not published", extra={"connection_id": cid})
                self._claims.release_alert_claim(cid, notice.key)
                continue
            self._claims.confirm_alert_claim(cid, notice.key)
            sent.append(notice.key)
        return sent

    def _maybe_brake(
        self,
        connection: Connection,
        outlook: Forecast,
        now: datetime,
        window_ends: datetime,
        ahead: BrakeAhead | None = None,
        suspects: Suspects | None = None,
    ) -> bool:
        reason = brake_reason(connection, outlook, ahead)
        return self._start_brake(connection, reason, now, window_ends, suspects)

    def _start_brake(
        self,
        connection: Connection,
        reason: str,
        now: datetime,
        window_ends: datetime,
        suspects: Suspects | None,
    ) -> bool:
        """Invokes the automatic brake once per window (the AUTO_BRAKE_KEY claim)."""
        if not connection.brakes_automatically or self._invoker is None:
            return False
        cid = connection.connection_id
        if not self._claims.claim_alert(cid, AUTO_BRAKE_KEY, now=now, window_ends=window_ends):
            return False  # already started in this window, by this or a concurrent run
        event = BrakeEvent(
            action="brake",
            connection_id=cid,
            reason=reason,
            requested_by=MONITOR_REQUESTER,
            suspects=suspects,  # the brake report's "before": no platform call of its own
            tier=connection.auto_brake_tier,
        )
        try:
            self._invoker.invoke(event)
        except Exception:
            logger.exception("auto-brake invoke failed", extra={"connection_id": cid})
            self._claims.release_alert_claim(cid, AUTO_BRAKE_KEY)
            return False
        self._claims.confirm_alert_claim(cid, AUTO_BRAKE_KEY)
        logger.info("auto-brake started", extra={"connection_id": cid})
        return True

    def _exhausted(
        self,
        connection: Connection,
        row: ConnectionCheck,
        error: DailyLimitExhausted,
        org_id: str | None = None,
    ) -> ConnectionCheck:
        now = self._clock()
        row.temperature = Temperature.WARM  # the platform refuses calls: minute checks cannot help
        row.limit_exhausted = True
        row.error = str(error)
        row.percent = 100.0
        resets_at = None if connection.platform is Platform.SALESFORCE else error.resets_at
        row.resets_at = resets_at
        ends = self._window_ends(connection, now, resets_at)
        logger.error("daily API limit exhausted", extra={"connection_id": connection.connection_id})
        won = self._alerts.claim(connection, [exhausted_alert()], now=now, window_ends=ends)
        if won and connection.platform is Platform.SALESFORCE:
            row.suspects = self._collected_suspects(connection, now)
        if self._glass_can_brake(connection):
            reason = f"daily API limit exhausted ({error.message}): break-glass brake"
            row.auto_brake_triggered = self._start_brake(
                connection, reason, now, ends, row.suspects
            )
        history = self._recent_readings(connection.connection_id, now) if won else []
        limit, rate = _usage_before_exhaustion(connection, history, now)
        context = replace(
            self._context(None, error.message, row.auto_brake_triggered),
            previous_check=_previous_check(history, now),
            suspects=row.suspects,
            org_id=org_id,
            entitlement=self._stored_entitlement(connection) if won else None,
            limit_before=limit,
            rate_before_per_hour=rate,
        )
        row.alerts_sent = self._alerts.send(connection, won, context)
        return row

    def _entitlement(self, connection: Connection, outlook: Forecast) -> Entitlement | None:
        """The org's stored entitlement (the daily collection's), only for a Salesforce
        reading at 100 % or past it: one item read (blocking). A paid org whose entitlement
        was never read counts as one: it answered past its limit."""
        if connection.platform is not Platform.SALESFORCE or outlook.percent < FULL:
            return None
        found = self._stored_entitlement(connection)
        return found or Entitlement(connection_id=connection.connection_id, read_at=self._clock())

    def _stored_entitlement(self, connection: Connection) -> Entitlement | None:
        """The daily collection's reading of the org's kind and entitlement (one item read,
        blocking); None when there is none or it cannot be read."""
        if connection.platform is not Platform.SALESFORCE:
            return None
        try:
            return self._state.entitlements().get(connection.connection_id)
        except Exception:
            logger.exception(
                "entitlement not read", extra={"connection_id": connection.connection_id}
            )
            return None

    def _glass_can_brake(self, connection: Connection) -> bool:
        """A Salesforce org refusing REST still serves the break-glass channel: worth an
        automatic brake when its allowlist holds a kind Apex can change (blocking: reads the
        allowlist)."""
        if connection.platform is not Platform.SALESFORCE or not connection.brakes_automatically:
            return False
        try:
            entries = self._allowlist.for_connection(connection.connection_id)[0]
        except Exception:
            logger.exception(
                "allowlist not read", extra={"connection_id": connection.connection_id}
            )
            return False
        return any(
            entry.kind in BREAK_GLASS_KINDS
            and entry.tier <= connection.auto_brake_tier
            and not entry.canary
            for entry in entries
        )

    def _collected_suspects(self, connection: Connection, now: datetime) -> Suspects | None:
        """The collected daily summary only: the org refuses calls, none is spent."""
        if self._attribution is None:
            return None
        cid = connection.connection_id
        try:
            entries = self._allowlist.for_connection(cid)[0]
            return collected_suspects(cid, self._attribution, entries, now, EXHAUSTED_NOTE)
        except Exception:
            logger.exception("suspects not gathered", extra={"connection_id": cid})
            return None

    async def _failed(
        self,
        connection: Connection,
        row: ConnectionCheck,
        message: str,
        error_type: str,
        field: str | None,
    ) -> ConnectionCheck:
        row.error = message
        row.error_field = field
        logger.warning(
            "connection check failed",
            extra={"connection_id": connection.connection_id, "error": message, "field": field},
        )

        def alert() -> ConnectionCheck:
            now = self._clock()
            ends = self._window_ends(connection, now, None)
            won = self._alerts.claim(
                connection, [connection_error_alert(error_type)], now=now, window_ends=ends
            )
            row.alerts_sent = self._alerts.send(
                connection, won, self._context(None, message, False)
            )
            return row

        try:
            return await self._in_thread(alert)
        except Exception:
            logger.exception(
                "connection error alert failed", extra={"connection_id": row.connection_id}
            )
            return row

    def _invalid_item(self, failure: ConnectionFailure) -> ConnectionCheck:
        """A connection item that does not validate: reported, metered, alerted once a day."""
        where = f"field '{failure.field}': " if failure.field else ""
        message = f"connection item invalid: {where}{failure.error}"
        row = ConnectionCheck(
            connection_id=failure.connection_id, error=message, error_field=failure.field
        )
        logger.warning(
            "connection item invalid",
            extra={"connection_id": failure.connection_id, "field": failure.field},
        )
        now = self._clock()
        key = "error:InvalidItem"
        try:
            if self._state.claim_alert(
                failure.connection_id, key, now=now, window_ends=now + INVALID_ITEM_WINDOW
            ):
                self._publisher.publish(_invalid_item_alert(failure.connection_id, message))
                self._state.confirm_alert_claim(failure.connection_id, key)
                row.alerts_sent = [key]
        except Exception:
            logger.exception(
                "invalid item alert failed", extra={"connection_id": failure.connection_id}
            )
        return row

    def _recent_readings(self, connection_id: str, now: datetime) -> list[UsageReading]:
        return self._state.readings_since(connection_id, now - PREVIOUS_CHECK_LOOKBACK)

    def _window_ends(
        self, connection: Connection, now: datetime, resets_at: datetime | None
    ) -> datetime:
        return window_end(
            now=now,
            resets_at=resets_at,
            rolling=connection.platform is Platform.SALESFORCE,
            utc_offset=cached_portal_offset(connection.connection_id),
        )

    def _context(self, outlook: Forecast | None, error: str | None, braked: bool) -> AlertContext:
        return AlertContext(
            forecast=outlook,
            error=error,
            now=self._clock(),
            auto_brake_triggered=braked,
            incident_function_name=self._options.incident_function_name,
            stack_name=self._options.stack_name,
            region=self._options.region,
            horizon_minutes=self._options.forecast_horizon_minutes,
        )


def _brakes_for_the_tail_alone(connection: Connection, assessed: Assessment) -> bool:
    """A Salesforce brake ahead that only the tail calls for (usage would not cross the
    threshold before the next check), about to start for real or in shadow."""
    ahead = assessed.ahead
    if ahead is None or ahead.peak_with_tail_percent is None or ahead.hourly_steps:
        return False
    if connection.platform is not Platform.SALESFORCE:
        return False
    braking = any(a.kind is AlertKind.BRAKE_THRESHOLD for a in assessed.won)
    return braking or connection.brakes_in_shadow


def _last_fresh(readings: list[UsageReading], now: datetime) -> UsageReading | None:
    return max(
        (r for r in readings if r.taken_at < now and not r.stale),
        key=lambda r: r.taken_at,
        default=None,
    )


def _previous_check(readings: list[UsageReading], now: datetime) -> tuple[float, float] | None:
    """(minutes ago, percent) of the last reading before the limit ran out: was it
    exhausted between two checks (detection too late)?"""
    last = _last_fresh(readings, now)
    if last is None:
        return None
    return (now - last.taken_at).total_seconds() / 60.0, last.percent


def _usage_before_exhaustion(
    connection: Connection, readings: list[UsageReading], now: datetime
) -> tuple[int | None, float | None]:
    """The limit and the burn per hour of the last hour, for the pre-filled raise. Usage
    stands at the limit now (the platform refuses calls), so that point joins the readings:
    a limit spent between two checks still gives a rate, at least the one that spent it."""
    last = _last_fresh(readings, now)
    if last is None or not last.limit:
        return None, None
    spent = UsageReading(
        used=max(last.used, last.limit), limit=last.limit, taken_at=now, source=last.source
    )
    rate = burn_rate_per_hour(
        [*readings, spent],
        now=now,
        window=DEFAULT_RATE_WINDOW,
        resets=connection.platform is Platform.HUBSPOT,
    )
    return last.limit, rate


async def _org_id_without_calls(
    connection: Connection, platform_client: PlatformClient | None
) -> str | None:
    """The Salesforce org id for the pre-filled raise, when the token names it: a bonus, so
    any failure leaves the placeholder and the alert goes out all the same."""
    find_org = getattr(platform_client, "org_id_without_calls", None)
    if connection.platform is not Platform.SALESFORCE or find_org is None:
        return None
    try:
        found: str | None = await find_org()
    except Exception:
        logger.warning("org id not known", extra={"connection_id": connection.connection_id})
        return None
    return found


def _not_reached(connection: Connection) -> ConnectionCheck:
    return ConnectionCheck(
        connection_id=connection.connection_id,
        platform=connection.platform,
        not_reached=True,
        note=NOT_REACHED,
    )


def _unexpected(connection: Connection, error: Exception) -> ConnectionCheck:
    return ConnectionCheck(
        connection_id=connection.connection_id,
        platform=connection.platform,
        error=f"unexpected {type(error).__name__} while checking",
    )


def _count_calls(row: ConnectionCheck, platform_client: PlatformClient | None) -> None:
    if platform_client is not None:
        row.api_calls = platform_client.http.billable_calls
        row.auth_calls = platform_client.http.auth_calls


def _fill(row: ConnectionCheck, outlook: Forecast, read: UsageRead) -> None:
    row.used = outlook.used
    row.limit = outlook.limit
    row.percent = round(outlook.percent, 2)
    row.remaining = outlook.remaining
    row.burn_rate_per_hour = (
        round(outlook.burn_rate_per_hour, 1) if outlook.burn_rate_per_hour is not None else None
    )
    row.minutes_to_brake = _round(outlook.minutes_to_brake)
    row.minutes_to_exhaustion = _round(outlook.minutes_to_exhaustion)
    row.resets_at = read.resets_at
    row.source = read.reading.source
    row.stale = read.reading.stale
    row.usage_scope = read.readings[0].scope
    row.usage_gap = read.gap
    if read.header is not None:
        row.header_reading = HeaderReading(used=read.header.used, limit=read.header.limit)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _invalid_item_alert(connection_id: str, message: str) -> Alert:
    return Alert(
        subject=f"[apibrake] WARNING {connection_id}: connection item invalid, not watched",
        body=(
            f"The connections table item {connection_id} does not validate, so apibrake "
            f"neither watches nor brakes it.\n\n{message}\n\nFix the item (see the README's "
            "connection contract); the next check picks it up.\n"
        ),
        sms=f"apibrake WARNING {connection_id}: {message}"[:160],
        severity=Severity.WARNING,
        connection_id=connection_id,
        platform="",
        kind=AlertKind.CONNECTION_ERROR.value,
        next_steps=(
            f"Fix the connections table item {connection_id}, then check it: "
            f"`apibrake connections test {connection_id}`",
        ),
    )


__all__ = ["DueAlert", "MonitorOptions", "UsageMonitor"]
