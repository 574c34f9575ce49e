"""After a freeze: is the frozen user still spending calls?

Salesforce does not say whether freezing a user ends the sessions and OAuth tokens it had
(docs/platform-notes.md B8). So while an incident waits for its window to recover, the
scheduled release looks at each user its brake froze, once the freeze is `FREEZE_GRACE`
old: one query of ApiTotalUsageEventLog counts the users' calls since their freezes, and a
user still calling gets one critical "frozen, still spending" alert per incident (a
claim in the state table, taken once). A person then revokes its tokens: apibrake never
does (not reversible).

Costs at most one call per release run and incident for the first `WATCH_FOR` after the
grace, and none when every frozen user has been alerted already, the org refused the event
log object before (remembered with attribution's refusals: no Event Monitoring licence, no
permission), the stored reading says the daily limit is spent, or a dry run. Nothing here
ever stops the release: a failure is logged and the release goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from apibrake.http.errors import DailyLimitExhausted, PlatformError
from apibrake.incident.deps import IncidentDeps, SourceRefusals, publish_safely
from apibrake.incident.records import SETTLED_RELEASE, BrakeState, IncidentMeta, JournalRow
from apibrake.models.allowlist import AutomationKind
from apibrake.models.attribution import AttributionSource
from apibrake.models.usage import UsageReading
from apibrake.platforms.salesforce.activity import parse_time
from apibrake.platforms.salesforce.errors import not_available
from apibrake.platforms.salesforce.soql import soql_datetime, soql_strings
from apibrake.warn.incident_alerts import FROZEN_STILL_SPENDING, frozen_still_spending
from apibrake.warn.publisher import Alert

if TYPE_CHECKING:
    from apibrake.platforms.salesforce.client import SalesforceClient

logger = logging.getLogger(__name__)
S = TypeVar("S")  # a watched subject: a frozen user, a blocked app

# How old a freeze must be before its effect is judged: the event log object is near real
# time, not instant (events show up minutes late), and one release run (15 minutes apart by
# default) later is soon enough for a person to act. Calls are counted from the freeze
# itself, so the grace delays the alert, never hides a call.
FREEZE_GRACE = timedelta(minutes=10)
# How long after a freeze its effect is watched: an integration still calling shows in the
# first runs after the grace; one silent this long is stopped. Bounds the cost to a few
# calls per incident instead of one per release run until the window recovers.
WATCH_FOR = timedelta(hours=1)
# The brake's invocation ends within its Lambda timeout (300 s): a row without the freeze's
# own time (no verification re-read) was frozen by the time the incident opened + this, so
# counting from there never counts a call made before the freeze.
BRAKE_RUNS_AT_MOST = timedelta(minutes=5)
EVENTS_READ = 2000  # one query page: the count says "at least" when it is full
# The claim outlives any incident's wait: its key names the incident, so it never blocks
# another one.
ALERT_CLAIM_HOLDS = timedelta(days=7)
_SOURCE = AttributionSource.EVENT_LOG_OBJECT


@dataclass(frozen=True)
class FrozenUser:
    """A user this incident's brake froze, still frozen by it."""

    username: str
    user_id: str  # as User.Id reads: 18 characters
    frozen_at: datetime  # the freeze's UserLogin.LastModifiedDate, else the brake's start
    counted_from: datetime  # calls from here on prove the freeze left the user spending


def alert_key(incident_id: str, user_id: str) -> str:
    """The alert's claim: once per incident and user."""
    return f"{FROZEN_STILL_SPENDING}:{incident_id}:{user_id[:15]}"


def frozen_users(rows: Sequence[JournalRow], meta: IncidentMeta) -> list[FrozenUser]:
    """The `user` rows the brake froze and the release has not settled yet."""
    found = []
    for row in rows:
        after = row.after or {}
        if (
            row.kind is not AutomationKind.USER
            or row.brake is not BrakeState.BRAKED
            or row.release in SETTLED_RELEASE
            or after.get("frozen") is not True
            or not after.get("user_id")
        ):
            continue
        frozen_at = _freeze_time(row)
        found.append(
            FrozenUser(
                username=str(after.get("username") or row.name),
                user_id=str(after["user_id"]),
                frozen_at=frozen_at or meta.opened_at,
                counted_from=frozen_at or meta.opened_at + BRAKE_RUNS_AT_MOST,
            )
        )
    return found


def _freeze_time(row: JournalRow) -> datetime | None:
    """The freeze's UserLogin.LastModifiedDate, once the brake's re-read saw it change."""
    before = (row.before or {}).get("last_modified")
    after = (row.after or {}).get("last_modified")
    if not after or after == before:
        return None
    try:
        return parse_time(str(after))
    except ValueError:
        return None


def event_log_calls_since(since: datetime, user_ids: Sequence[str]) -> str:
    """The users' counted calls since `since`, newest first, one page. UserIdentifier is a
    string field: both the 18- and 15-character forms of each id are asked for."""
    forms = sorted({form for uid in user_ids for form in (uid, uid[:15])})
    return (
        "SELECT UserIdentifier, Timestamp FROM ApiTotalUsageEventLog "  # noqa: S608 - values escaped
        f"WHERE Timestamp >= {soql_datetime(since)} AND IsApiLimitCounted = true "
        f"AND UserIdentifier IN ({soql_strings(forms)}) "
        f"ORDER BY Timestamp DESC LIMIT {EVENTS_READ}"
    )


# A request already in flight when the freeze landed is logged just after it: calls in
# this first minute prove nothing about the freeze (its alert advises an irreversible revoke).
IN_FLIGHT = timedelta(minutes=1)


def calls_after_freeze(records: Sequence[dict[str, Any]], user: FrozenUser) -> int:
    """The user's events from its own `counted_from` plus IN_FLIGHT (the query starts at
    the earliest)."""
    return sum(
        1
        for record in records
        if str(record.get("UserIdentifier") or "")[:15] == user.user_id[:15]
        and parse_time(str(record.get("Timestamp"))) >= user.counted_from + IN_FLIGHT
    )


def whole_second_after(moment: datetime) -> datetime:
    """SOQL's dateTime literal has whole seconds: rounding up never counts an earlier call."""
    whole = moment.replace(microsecond=0)
    return whole if whole == moment else whole + timedelta(seconds=1)


class FreezeWatch:
    """One incident's look at its frozen users, in one release run."""

    def __init__(
        self,
        deps: IncidentDeps,
        off_loop: Callable[..., Awaitable[Any]],
        meta: IncidentMeta,
        rows: Sequence[JournalRow],
    ) -> None:
        self.deps = deps
        self.off_loop = off_loop  # a blocking AWS call, off the event loop
        self.meta = meta
        self.rows = rows

    async def safely(
        self,
        open_client: Callable[[], Awaitable[SalesforceClient | None]],
        readings: Sequence[UsageReading] = (),
    ) -> None:
        """`open_client` opens (or hands over) the platform client, awaited only once a call
        is due; `readings` are the stored ones the release read. Never raises: the release
        goes on whatever happens here."""
        # Imported here: the app watch builds on this module's reader and rules.
        from apibrake.release.app_watch import AppWatch

        for what, watch in (
            ("frozen users", self._watch),
            ("blocked apps", AppWatch(self.deps, self.off_loop, self.meta, self.rows).watch),
        ):
            try:
                await watch(open_client, readings)
            except Exception:
                logger.exception(
                    f"{what} not checked",
                    extra={"incident_id": self.meta.incident_id, "connection_id": self.cid},
                )

    @property
    def cid(self) -> str:
        return self.meta.connection_id

    def _key(self, user: FrozenUser) -> str:
        return alert_key(self.meta.incident_id, user.user_id)

    async def _watch(
        self,
        open_client: Callable[[], Awaitable[SalesforceClient | None]],
        readings: Sequence[UsageReading],
    ) -> None:
        await watch_for_calls(
            self.deps,
            self.off_loop,
            self.cid,
            Watched(
                subjects=frozen_users(self.rows, self.meta),
                counted_from=lambda user: user.counted_from,
                key=self._key,
                query=lambda since, due: event_log_calls_since(since, [u.user_id for u in due]),
                calls=lambda records, user: calls_after_freeze(records, user),
                alert=self._alert,
            ),
            open_client,
            readings,
        )

    async def _alert(self, user: FrozenUser, calls: int, *, at_least: bool) -> None:
        """One alert per incident and user, however many runs (or invocations at once) see
        the calls: the claim decides, and is given back when the alert cannot go out."""
        alerted = await alert_once(
            self.off_loop,
            self.deps,
            self.cid,
            self._key(user),
            lambda now: frozen_still_spending(
                connection_id=self.cid,
                platform=self.meta.platform.value,
                incident_id=self.meta.incident_id,
                user=user.username,
                user_id=user.user_id,
                frozen_at=user.frozen_at,
                counted_from=user.counted_from,
                calls=calls,
                at_least=at_least,
                now=now,
            ),
        )
        if alerted is None:
            return  # another run alerted already
        logger.warning(
            "frozen user still spending",
            extra={
                "connection_id": self.cid,
                "incident_id": self.meta.incident_id,
                "user_id": user.user_id,
                "calls": calls,
                "alerted": alerted,
            },
        )


@dataclass(frozen=True)
class Watched(Generic[S]):
    """What a watch looks at after a brake: its subjects (frozen users, blocked apps), and
    per subject when calls start to count, its alert's key, the event-log query of its
    calls since a moment, its calls in the answer, and its alert."""

    subjects: list[S]
    counted_from: Callable[[S], datetime]
    key: Callable[[S], str]
    query: Callable[[datetime, list[S]], str]
    calls: Callable[[Sequence[dict[str, Any]], S], int]
    alert: Callable[..., Awaitable[None]]  # (subject, calls, *, at_least)


async def watch_for_calls(
    deps: IncidentDeps,
    off_loop: Callable[..., Awaitable[Any]],
    connection_id: str,
    watched: Watched[S],
    open_client: Callable[[], Awaitable[SalesforceClient | None]],
    readings: Sequence[UsageReading],
) -> None:
    """One query of the event log object for the subjects past their grace and still
    watched, not alerted yet, while the limit allows and the object was never refused;
    then an alert per subject still spending."""
    now = deps.now()
    if deps.state is None or deps.refusals is None:
        return
    due = [
        subject
        for subject in watched.subjects
        if FREEZE_GRACE <= now - watched.counted_from(subject) <= FREEZE_GRACE + WATCH_FOR
    ]
    if not due:
        return
    alerted = await off_loop(deps.state.live_alert_claims, connection_id, now=now)
    due = [subject for subject in due if watched.key(subject) not in alerted]
    if not due or limit_spent(readings):
        return
    reader = EventReader(connection_id, off_loop, deps.refusals, now)
    if await reader.refused_before():
        return
    client = await open_client()
    if client is None:
        return
    since = whole_second_after(min(watched.counted_from(subject) for subject in due))
    records = await reader.read(client, watched.query(since, due))
    if records is None:
        return
    for subject in due:
        calls = watched.calls(records, subject)
        if calls > 0:
            await watched.alert(subject, calls, at_least=len(records) >= EVENTS_READ)


async def alert_once(
    off_loop: Callable[..., Awaitable[Any]],
    deps: IncidentDeps,
    connection_id: str,
    key: str,
    build: Callable[[datetime], Alert],
) -> bool | None:
    """One alert per key however many runs (or invocations at once) see the cause: the
    claim decides, and is given back when the alert cannot go out. None: claimed by
    another run; else whether it went out."""
    state, now = deps.state, deps.now()
    assert state is not None
    won = await off_loop(
        state.claim_alert, connection_id, key, now=now, window_ends=now + ALERT_CLAIM_HOLDS
    )
    if not won:
        return None
    problem = await off_loop(publish_safely, deps, build(now))
    if problem is None:
        await off_loop(state.confirm_alert_claim, connection_id, key)
    else:
        await off_loop(state.release_alert_claim, connection_id, key)
    return problem is None


def limit_spent(readings: Sequence[UsageReading]) -> bool:
    """The newest stored reading says the daily limit is spent: a query would be refused."""
    if not readings:
        return False
    latest = max(readings, key=lambda reading: reading.taken_at)
    return latest.limit > 0 and latest.used >= latest.limit


class EventReader:
    """ApiTotalUsageEventLog reads of the watches: an org that lacks the object (no Event
    Monitoring licence, no permission) is remembered with attribution's refusals and not
    asked again; the daily limit or another failure skips this run."""

    def __init__(
        self,
        connection_id: str,
        off_loop: Callable[..., Awaitable[Any]],
        refusals: SourceRefusals,
        now: datetime,
    ) -> None:
        self.cid, self.off_loop, self.refusals, self.now = connection_id, off_loop, refusals, now

    async def refused_before(self) -> bool:
        refused = await self.off_loop(self.refusals.unavailable, self.cid, now=self.now)
        return _SOURCE in refused

    async def read(self, client: SalesforceClient, soql: str) -> list[dict[str, Any]] | None:
        """The query's records; None when the org would not tell."""
        try:
            records: list[dict[str, Any]] = await client.query(soql)
        except DailyLimitExhausted:
            logger.info("event log not read: daily limit", extra={"connection_id": self.cid})
            return None
        except PlatformError as error:
            if not_available(error):
                reason = f"not available to this connection ({error.code or error.status})"
                await self.off_loop(
                    self.refusals.remember_unavailable, self.cid, _SOURCE, reason, now=self.now
                )
            else:
                logger.warning(
                    "event log not read", extra={"connection_id": self.cid, "error": str(error)}
                )
            return None
        return records
