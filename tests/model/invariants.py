"""The promises the model checks after every step (and, once quiet, the release's promise).

Each function raises AssertionError with a sentence a reader can act on.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta

from apibrake.incident.records import BrakeState, IncidentMeta, JournalRow, ReleaseState
from apibrake.watch.reset import next_local_midnight
from sandbox.audit import Mutation
from tests.model.world import HS, PLATFORM, SF, World, is_change, turns_off

Rows = dict[str, list[JournalRow]]
ROLLING_DAY = timedelta(hours=24)
# Alerts each window may carry per kind: one per warn_at level, one of every other kind.
PER_WINDOW = {"threshold": 2, "brake_threshold": 1, "limit_exhausted": 1, "forecast": 1}
CRITICAL_KINDS = {"brake_threshold", "limit_exhausted"}
NEW_YORK_WINTER = timedelta(hours=-5)  # the sandbox portal's zone in November


def _cid(mutation: Mutation) -> str:
    return SF if mutation.platform == "salesforce" else HS


def _api_changes(world: World) -> list[Mutation]:
    return [m for m in world.sandbox.audit.entries() if m.actor == "api" and is_change(m)]


def nothing_outside_the_allowlist(world: World) -> None:
    for mutation in _api_changes(world):
        allowed = world.seen.ever_allowlisted.get(_cid(mutation), set())
        assert mutation.target in allowed, (
            f"{mutation.kind} of {mutation.target}, never on the allowlist"
        )


def each_incident_changes_an_automation_once(world: World, rows_by_incident: Rows) -> None:
    incidents_per_target: Counter[str] = Counter()
    for rows in rows_by_incident.values():
        for row in rows:
            if row.before is not None and row.brake not in (
                BrakeState.ALREADY_OFF,
                BrakeState.SKIPPED,
            ):
                incidents_per_target[row.name] += 1
    offs: Counter[str] = Counter()
    ons: Counter[str] = Counter()
    for mutation in _api_changes(world):
        (offs if turns_off(mutation) else ons)[mutation.target] += 1
    for target, count in offs.items():
        assert count <= incidents_per_target[target], (
            f"{target} braked {count} times by {incidents_per_target[target]} incident(s)"
        )
    for target, count in ons.items():
        assert count <= incidents_per_target[target], (
            f"{target} released {count} times by {incidents_per_target[target]} incident(s)"
        )


def one_open_incident_per_connection(metas: list[IncidentMeta]) -> None:
    open_ids: dict[str, list[str]] = defaultdict(list)
    for meta in metas:
        if meta.status == "open":
            open_ids[meta.connection_id].append(meta.incident_id)
    for cid, ids in open_ids.items():
        assert len(ids) <= 1, f"{cid} has {len(ids)} open incidents: {ids}"


def journalled_before_the_platform_saw_it(world: World) -> None:
    assert not world.seen.journal_misses, world.seen.journal_misses


def _window(cid: str, at: datetime) -> datetime | None:
    """HubSpot: the portal day (its midnight); Salesforce: None (rolling, compared by time)."""
    if PLATFORM[cid] == "hubspot":
        return next_local_midnight(at, NEW_YORK_WINTER)
    return None


def each_threshold_alerts_once_per_window(world: World) -> None:
    by_key: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    for alert in world.seen.alerts:
        if alert.kind in PER_WINDOW and alert.connection_id in PLATFORM:
            by_key[(alert.connection_id, alert.kind)].append(alert.at)
    for (cid, kind), moments in by_key.items():
        for index, at in enumerate(moments):
            allowed = PER_WINDOW[kind] + _died_before_confirming(world, cid, at)
            same = [
                other
                for other in moments[index:]
                if (
                    _window(cid, other) == _window(cid, at)
                    if PLATFORM[cid] == "hubspot"
                    else other - at < ROLLING_DAY
                )
            ]
            assert len(same) <= allowed, (
                f"{cid}: {len(same)} {kind} alerts in one window from {at:%m-%d %H:%M}"
                + "".join(
                    f"\n  {a.at:%m-%d %H:%M} {a.text[:300]}"
                    for a in world.seen.alerts
                    if a.connection_id == cid and a.kind == kind
                )
            )


def _died_before_confirming(world: World, cid: str, at: datetime) -> int:
    """Deaths between an alert's publish and its confirmation in this window from `at`."""
    return sum(
        1
        for died_at, died_cid in world.seen.died_before_confirming
        if died_cid == cid
        and died_at >= at
        and (
            _window(cid, died_at) == _window(cid, at)
            if PLATFORM[cid] == "hubspot"
            else died_at - at < ROLLING_DAY
        )
    )


def every_critical_condition_alerted(world: World) -> None:
    critical = [a for a in world.seen.alerts if a.kind in CRITICAL_KINDS]
    for at, cid in world.seen.critical_due:
        sent = [
            a
            for a in critical
            if a.connection_id == cid
            and a.at <= at
            and (
                _window(cid, a.at) == _window(cid, at)
                if PLATFORM[cid] == "hubspot"
                else at - a.at < ROLLING_DAY
            )
        ]
        assert sent, f"{cid} read over its brake threshold at {at:%m-%d %H:%M}, no critical alert"


def no_secret_anywhere(world: World, *, tables: bool = False) -> None:
    texts = {
        "log": world.seen.logs,
        "alert": [a.text for a in world.seen.alerts],
        "report": world.seen.reports,
    }
    if tables:
        texts["table"] = [world.table_text()]
    for secret in world.secrets():
        for where, lines in texts.items():
            for line in lines:
                assert secret not in line, f"a secret ({secret[:4]}...) in a {where}: {line[:300]}"


def after_every_step(world: World) -> None:
    metas, rows = world.snapshot()
    nothing_outside_the_allowlist(world)
    each_incident_changes_an_automation_once(world, rows)
    one_open_incident_per_connection(metas)
    journalled_before_the_platform_saw_it(world)
    each_threshold_alerts_once_per_window(world)
    every_critical_condition_alerted(world)
    no_secret_anywhere(world)


# Once quiet ---------------------------------------------------------------------------------


def _human_edit_overwritten(world: World) -> list[str]:
    """An api change that turned on an automation a human had changed since apibrake
    turned it off: the release put back its record over the human's choice."""
    problems = []
    last_off: dict[str, bool] = {}  # target -> a human changed it since our brake
    for mutation in world.sandbox.audit.entries():
        if not is_change(mutation):
            continue
        target = mutation.target
        if mutation.actor == "api" and turns_off(mutation):
            last_off[target] = False
        elif mutation.actor == "human" and target in last_off:
            last_off[target] = True
        elif mutation.actor == "api" and last_off.get(target):
            problems.append(f"{target}: released over a human's edit at {mutation.at:%m-%d %H:%M}")
            last_off.pop(target)
        elif mutation.actor == "api":
            last_off.pop(target, None)
    return problems


def braked_automations_back_or_reported(world: World) -> None:
    problems = _human_edit_overwritten(world)
    for incident_id, rows in world.rows_by_incident().items():
        for row in rows:
            if row.brake not in (BrakeState.BRAKED, BrakeState.PENDING):
                continue
            if row.release is ReleaseState.RELEASED or row.release is ReleaseState.NOTHING:
                continue
            if row.release is ReleaseState.NEEDS_HUMAN and (row.release_error or row.error):
                continue
            if row.release is ReleaseState.HELD and row.release_error:
                continue  # kept braked on purpose: a driver nobody reworked, with its reason
            problems.append(
                f"{incident_id} {row.automation}: brake {row.brake}, release {row.release} "
                f"({row.release_error or row.error or 'no reason given'})"
            )
    assert not problems, "once quiet: " + "; ".join(problems)
