"""The soak: a month of simulated days on the local stack, with faults, overlaps and crashes.

The clock ticks where the scenario needs it: every two hours while every connection is
calm, every five minutes while a runaway climbs past 60 % of its limit; the scheduled
release runs every 30 minutes while an incident is open. Everything random comes from one
seed.
"""

from __future__ import annotations

import functools
import os
import random
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.retries.standard import ExponentialBackoff

from apibrake.http import client as http_client
from apibrake.http.client import Timeouts
from apibrake.http.retry import RetryPolicy
from apibrake.incident.records import BrakeState, ReleaseState
from apibrake.runtime import aws as runtime_aws
from apibrake.store import table_keys
from apibrake.store.items import from_item
from drill.stack import LocalStack
from localaws import LocalAws
from sandbox.audit import Mutation
from tests.model.hang import wall_clock_limit
from tests.model.world import Killed, is_change, turns_off
from tests.soak.aws_faults import AwsFaultProxy, FaultPlan
from tests.soak.fleet import Fleet, Member
from tests.soak.platform_faults import PlatformFaults

START = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)
HOT_PERCENT = 60.0
CALM_TICK, HOT_TICK = timedelta(hours=2), timedelta(minutes=5)
RELEASE_EVERY = timedelta(minutes=30)
KIND_OF = {
    "flow_activation": "flow",
    "job_abort": "scheduled_apex",
    "job_schedule": "scheduled_apex",
    "workflow_put": "workflow",
}


@dataclass(frozen=True)
class SoakOptions:
    seed: int
    days: int = 30
    pairs: int = 3  # each pair: one Salesforce org and one HubSpot portal
    runaway_chance: float = 0.08  # per connection and day
    platform_fault_rate: float = 0.03
    aws_fault_rate: float = 0.03
    crash_every: int = 200  # invocations, on average
    overlap_chance: float = 0.3  # per day: an operator acts while the schedule runs


@dataclass
class SoakCounts:
    days: int = 0
    ticks: int = 0
    invocations: int = 0
    crashed: int = 0
    overlaps: int = 0
    needs_human: int = 0
    runaways: int = 0
    journal_misses: list[str] = field(default_factory=list)
    critical_due: list[tuple[str, datetime]] = field(default_factory=list)  # readings >= brake
    alerts: Counter[str] = field(default_factory=Counter)  # kind -> sent
    critical_sent: list[tuple[str, datetime]] = field(default_factory=list)
    # What each critical reading's check said: (cid, at) -> its alerts, error or note
    critical_rows: dict[tuple[str, datetime], str] = field(default_factory=dict)


class Soak:
    def __init__(self, options: SoakOptions, aws: LocalAws) -> None:
        self.options = options
        self._overlapping = False  # an operator's invocation runs beside the schedule's
        # The month's plan (runaways, overlapping operators) has a generator of its own, so
        # one seed always plans the same month; crashes and faults draw from theirs, and
        # which concurrent request meets a fault also depends on thread timing.
        self.rng = random.Random(options.seed)
        self.plan = random.Random(options.seed + 1)
        self.aws = aws
        self.counts = SoakCounts()
        self.fleet = Fleet.start(options.pairs, START)
        self.stack = LocalStack(
            aws, self.fleet.sandboxes[0], environment={"POWERTOOLS_METRICS_NAMESPACE": "ApiBrake"}
        )
        self.fleet.build(self.stack)
        self._direct = aws.client("dynamodb")  # the soak's own reads skip the fault proxy
        self._state_table = aws.table_name("StateTable")
        self.platform_faults = PlatformFaults(
            self.rng.randrange(2**32), options.platform_fault_rate
        )
        for member in self.fleet.members:
            self.platform_faults.attach(member.server, member.platform)
            _watch(member, self._check_journalled)
        self.aws_faults = FaultPlan(self.rng.randrange(2**32), options.aws_fault_rate)
        self.proxy = AwsFaultProxy(aws.endpoint_url, self.aws_faults).start()
        os.environ["AWS_ENDPOINT_URL"] = self.proxy.url  # the functions' clients only
        LocalStack.forget_caches()

    def close(self) -> None:
        self.proxy.stop()
        self.fleet.stop()
        LocalStack.forget_caches()

    # The journal comes first ----------------------------------------------------------------------

    def _check_journalled(self, member: Member, mutation: Mutation) -> None:
        kind = KIND_OF[mutation.kind]
        marker = self._get(table_keys.open_pk(member.cid), table_keys.OPEN_SK)
        row = None
        if marker is not None:
            row = self._get(
                table_keys.incident_pk(str(marker["incident_id"])),
                table_keys.row_sk(f"{kind}:{mutation.target}"),
            )
        if turns_off(mutation):
            ok = row is not None and row.get("before") is not None and row.get("release") is None
        else:
            ok = row is not None and row.get("release") is not None
        if not ok:
            self.counts.journal_misses.append(f"{member.cid} {mutation.kind} {mutation.target}")

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        answer = self._direct.get_item(
            TableName=self._state_table,
            Key={"pk": {"S": pk}, "sk": {"S": sk}},
            ConsistentRead=True,
        )
        item = answer.get("Item")
        return from_item(item) if item else None

    # Invocations ----------------------------------------------------------------------------------

    def _invoke(self, run: Callable[[], Any]) -> Any:
        """One invocation; now and then Lambda cuts it off and it is retried."""
        self.counts.invocations += 1
        with wall_clock_limit():
            return self._maybe_crashed(run)

    def _maybe_crashed(self, run: Callable[[], Any]) -> Any:
        # The crash hook sits on the process's one DynamoDB client: while two invocations
        # overlap it would kill the other one's call, which planned no crash (and has no
        # retry around it). Overlaps test concurrency; crashes are tested apart.
        if self.rng.randrange(self.options.crash_every) != 0 or self._overlapping:
            return run()
        client = runtime_aws.aws_client("dynamodb")
        at, calls = self.rng.randint(1, 15), 0
        event = self.rng.choice(["before-call.dynamodb", "after-call.dynamodb"])

        def crash(**_: Any) -> None:
            nonlocal calls
            calls += 1
            if calls == at:
                raise Killed(f"crash at DynamoDB call {at}")

        client.meta.events.register(event, crash)
        try:
            return run()
        except Killed:
            self.counts.crashed += 1
            self._cold_start_after_crash()
            return run()
        finally:
            client.meta.events.unregister(event, crash)

    def _cold_start_after_crash(self) -> None:
        for app in (self.stack.monitor_app, self.stack.responder_app, self.stack.restore_app):
            app.metrics.clear_metrics()
        LocalStack.forget_caches()
        # Powertools dates an in-progress record by the wall clock: age it, as the minutes
        # before Lambda's retry would.
        # The same minutes give up the alert claims the dead run never confirmed.
        state = self.aws.table_name("StateTable")
        pages = self._direct.get_paginator("scan").paginate(
            TableName=state, ConsistentRead=True, FilterExpression="attribute_exists(pending_until)"
        )
        for item in (item for page in pages for item in page["Items"]):
            self._direct.update_item(
                TableName=state,
                Key={"pk": item["pk"], "sk": item["sk"]},
                UpdateExpression="SET pending_until = :past",
                ExpressionAttributeValues={":past": {"N": "1"}},
            )
        table = self.aws.table_name("IdempotencyTable")
        for item in self._direct.scan(TableName=table, ConsistentRead=True)["Items"]:
            if item.get("status", {}).get("S") == "INPROGRESS":
                self._direct.update_item(
                    TableName=table,
                    Key={"id": item["id"]},
                    UpdateExpression="SET in_progress_expiration = :past",
                    ExpressionAttributeValues={":past": {"N": "1"}},
                )

    def _tick(self) -> None:
        self.counts.ticks += 1
        report = self._invoke(self.stack.check)
        now = self.fleet.clock.now()
        for row in report.get("connections", []):
            percent = _exact_percent(row)
            if percent is not None and percent >= 90.0:
                self.counts.critical_due.append((row["connection_id"], now))
                said = row.get("error") or row.get("alerts_sent") or "no alert due by its claims"
                self.counts.critical_rows[(row["connection_id"], now)] = f"{percent:.3f}%: {said}"
        for event in self.stack.invoker.drain():
            self._invoke(functools.partial(self.stack.brake, event.model_dump()))

    def _release(self) -> None:
        self._invoke(self.stack.release_recovered)

    def _overlap(self) -> None:
        """An operator acts while the schedule runs: a manual brake during a monitor tick, or
        a forced release of an open incident during the scheduled release."""
        self.counts.overlaps += 1
        member = self.fleet.pick(self.plan)
        incident_id = self._open_incident(member.cid)
        if incident_id is None:
            operator: Callable[[], Any] = functools.partial(
                self.stack.brake, connection_id=member.cid, reason="operator"
            )
            schedule: Callable[[], Any] = self._tick
        else:
            operator = functools.partial(self.stack.release_incident, incident_id, force=True)
            schedule = self._release
        failures: list[BaseException] = []

        def run(work: Callable[[], Any]) -> None:
            try:
                self._invoke(work)
            except BaseException as error:
                failures.append(error)

        threads = [
            threading.Thread(target=run, args=(w,), daemon=True) for w in (operator, schedule)
        ]
        self._overlapping = True
        try:
            with wall_clock_limit():
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
        finally:
            self._overlapping = False
        if failures:
            raise failures[0]

    def _open_incident(self, cid: str) -> str | None:
        marker = self._get(table_keys.open_pk(cid), table_keys.OPEN_SK)
        return str(marker["incident_id"]) if marker else None

    def _collect_alerts(self) -> None:
        now = self.fleet.clock.now()
        for alert in self.stack.alerts():
            kind = alert.attributes.get("kind", "")
            self.counts.alerts[kind] += 1
            if kind in ("brake_threshold", "limit_exhausted"):
                self.counts.critical_sent.append((alert.attributes.get("connection_id", ""), now))

    # The month ------------------------------------------------------------------------------------

    def run(self, progress: Callable[[str], None] = lambda _: None) -> SoakCounts:
        next_release = START + RELEASE_EVERY
        for day in range(self.options.days):
            self.counts.days = day + 1
            runaways = {
                m.cid: self.plan.randrange(24)
                for m in self.fleet.members
                if self.plan.random() < self.options.runaway_chance
            }
            chance = self.options.overlap_chance
            overlap = self.plan.randrange(24) if self.plan.random() < chance else None
            day_end = START + timedelta(days=day + 1)
            while (now := self.fleet.clock.now()) < day_end:
                self.fleet.set_hour_rates()
                for member in self.fleet.members:
                    if runaways.get(member.cid, 24) <= now.hour:
                        runaways.pop(member.cid)
                        self.fleet.start_runaway(member)
                        self.counts.runaways += 1
                if overlap is not None and overlap <= now.hour:
                    overlap = None
                    self._overlap()
                self._tick()
                self.fleet.fix_braked_runaways()
                if now >= next_release:
                    next_release = now + RELEASE_EVERY
                    if self._any_open():
                        self._release()
                self._collect_alerts()
                self.fleet.advance(HOT_TICK if self._hot() else _to_next_calm_tick(now))
            progress(f"day {day + 1}: {self.counts.ticks} ticks, {self.counts.runaways} runaways")
        self._quiet()
        return self.counts

    def _hot(self) -> bool:
        """Five-minute ticks while a runaway climbs; calm or braked connections change slowly."""
        return any(
            m.runaway_until_braked and m.percent() >= HOT_PERCENT for m in self.fleet.members
        )

    def aws_faults_injected(self) -> dict[str, int]:
        return dict(self.proxy.injected)

    def incident_count(self) -> int:
        return sum(
            1
            for item in self.state_items()
            if table_keys.is_incident_meta(str(item.get("pk", "")), str(item.get("sk", "")))
        )

    def _any_open(self) -> bool:
        return any(self._open_incident(m.cid) for m in self.fleet.members)

    def _quiet(self) -> None:
        """Faults off; two calm days of ticks and releases: everything goes home."""
        self.platform_faults.enabled = False
        self.aws_faults.enabled = False
        for _ in range(24):
            self.fleet.set_hour_rates()
            self._tick()
            self._release()
            self._collect_alerts()
            self.fleet.advance(CALM_TICK)

    # The checks -----------------------------------------------------------------------

    def state_items(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for page in self._direct.get_paginator("scan").paginate(
            TableName=self._state_table, ConsistentRead=True
        ):
            items.extend(from_item(item) for item in page["Items"])
        return items

    def verdicts(self) -> dict[str, int]:
        rows = [
            item
            for item in self.state_items()
            if table_keys.is_journal_row(str(item.get("pk", "")), str(item.get("sk", "")))
        ]
        # Keyed by (connection, name): the orgs and portals share automation names.
        incidents_per_target: Counter[tuple[str, str]] = Counter()
        not_back = 0
        for row in rows:
            brake, release = row.get("brake"), row.get("release")
            if row.get("before") is not None and brake not in (
                BrakeState.ALREADY_OFF.value,
                BrakeState.SKIPPED.value,
            ):
                incidents_per_target[(str(row["connection_id"]), str(row["name"]))] += 1
            if release == ReleaseState.NEEDS_HUMAN.value:
                self.counts.needs_human += 1
            if brake in (BrakeState.BRAKED.value, BrakeState.PENDING.value) and not (
                release in (ReleaseState.RELEASED.value, ReleaseState.NOTHING.value)
                or (release == ReleaseState.NEEDS_HUMAN.value and row.get("release_error"))
                # held on purpose, with its reason and the command to release it
                or (release == ReleaseState.HELD.value and row.get("release_error"))
            ):
                not_back += 1
        changes = [
            ((member.cid, m.target), m)
            for member in self.fleet.members
            for m in member.sandbox.audit.entries(member.platform)
            if m.actor == "api" and is_change(m)
        ]
        offs = Counter(key for key, m in changes if turns_off(m))
        ons = Counter(key for key, m in changes if not turns_off(m))
        duplicates = sum(
            max(0, count - incidents_per_target[key])
            for counter in (offs, ons)
            for key, count in counter.items()
        )
        allowlisted = {(m.cid, name) for m in self.fleet.members for name in m.allowlisted}
        outside = sum(1 for key, _ in changes if key not in allowlisted)
        return {
            "braked": sum(row.get("brake") == BrakeState.BRAKED.value for row in rows),
            "released": sum(row.get("release") == ReleaseState.RELEASED.value for row in rows),
            "mutations": len(changes),
            "duplicates": duplicates,
            "outside": outside,
            "not_back": not_back,
            "journal_lost": len(self.counts.journal_misses),
        }


def _watch(member: Member, check: Callable[[Member, Mutation], None]) -> None:
    audit = member.sandbox.audit
    record = audit.record
    platform = member.platform

    def checked(mutation: Mutation) -> None:
        if mutation.actor == "api" and mutation.platform == platform and is_change(mutation):
            check(member, mutation)
        record(mutation)

    audit.record = checked  # type: ignore[method-assign]


def _same_window(cid: str, sent: datetime, due: datetime) -> bool:
    """HubSpot: the same portal day (New York, winter); Salesforce: within the rolling day."""
    if cid.startswith("hs"):
        shift = timedelta(hours=5)
        return (sent - shift).date() == (due - shift).date() and sent <= due
    return timedelta(0) <= due - sent < timedelta(hours=24)


def _exact_percent(row: dict[str, Any]) -> float | None:
    """The reading as the monitor judged it: the report's percent is rounded (89.996 shows
    as 90.0), used / limit is not. A limit-exhausted row has only the percent."""
    used, limit = row.get("used"), row.get("limit")
    if used is not None and limit:
        return float(used) / float(limit) * 100.0
    percent = row.get("percent")
    return None if percent is None else float(percent)


def critical_windows(counts: SoakCounts) -> tuple[int, list[tuple[str, datetime]]]:
    """(windows with a reading at or over the brake threshold, the readings of those with no
    critical alert)."""
    windows: set[tuple[str, datetime]] = set()
    missed: set[tuple[str, datetime]] = set()
    for cid, due in counts.critical_due:
        sent = [at for c, at in counts.critical_sent if c == cid and _same_window(cid, at, due)]
        (windows if sent else missed).add((cid, min(sent) if sent else due))
    return len(windows) + len(missed), sorted(missed)


def _to_next_calm_tick(now: datetime) -> timedelta:
    """To the next even hour: calm stretches cost one monitor run per two hours."""
    next_tick = now.replace(minute=0, second=0, microsecond=0) + CALM_TICK
    if next_tick.hour % 2:
        next_tick -= timedelta(hours=1)
    return next_tick - now


def fast_platform_retries() -> None:
    """The reliability tests' millisecond waits and 0.6 s read timeout: same decisions.
    botocore's standard mode waits up to 1 s times 2^attempt after a throttle (0.025 s
    for DynamoDB's other errors): a hundredth of that keeps its decisions, not the month."""
    defaults = getattr(ExponentialBackoff, "_DEFAULT_BACKOFF_CONFIG")  # noqa: B009
    defaults["throttling_base_scale"] = 0.01
    defaults["non_throttling_base_scale"] = 0.001
    by_service = getattr(ExponentialBackoff, "_SERVICE_BACKOFF_CONFIG")  # noqa: B009
    by_service["dynamodb"]["non_throttling_base_scale"] = 0.001
    retry = functools.partial(RetryPolicy, base_delay=0.01, max_delay=0.05, burst_wait_scale=0.005)
    setattr(http_client, "RetryPolicy", retry)  # noqa: B010
    setattr(http_client, "Timeouts", functools.partial(Timeouts, connect=1.0, read=0.6))  # noqa: B010
