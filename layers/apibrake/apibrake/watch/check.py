"""One connection's check on the event loop: its secret, its usage reading (HTTP), then
one hand-off to a worker thread that stores, decides and acts (watch/act.py), or that
reports the failure (watch/failures.py). Any failure becomes an error row; the other
connections carry on."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import httpx

from apibrake.aws_threads import AwsThreads
from apibrake.http.errors import DailyLimitExhausted, PlatformError
from apibrake.http.retry import RetryBudget
from apibrake.models.attribution import Suspects
from apibrake.models.connection import Connection, Platform
from apibrake.platforms.connect import (
    SecretInvalid,
    SecretUnreadable,
    connect,
    load_connection_secret,
)
from apibrake.warn.rules import AlertKind
from apibrake.watch.act import Assessed, ReadingActions, SuspectsWanted
from apibrake.watch.attribution import gather_suspects, wants_suspects
from apibrake.watch.drivers_now import read_drivers_now
from apibrake.watch.failures import FailureActions
from apibrake.watch.report import ConnectionCheck
from apibrake.watch.tools import RunTools
from apibrake.watch.usage import UsageRead, read_usage

if TYPE_CHECKING:
    from apibrake.platforms.client import PlatformClient
    from apibrake.platforms.salesforce.client import SalesforceClient

logger = logging.getLogger(__name__)

NOT_REACHED = "not checked before the deadline: the next scheduled run checks it"


@dataclass(frozen=True)
class Checker:
    """Checks connections for one run: the run's tools, worker threads, HTTP client and
    retry budget, shared by all its checks."""

    tools: RunTools
    threads: AwsThreads
    client: httpx.AsyncClient
    budget: RetryBudget
    secrets: Callable[[str], Mapping[str, Any]]

    async def check(self, connection: Connection) -> ConnectionCheck:
        row = ConnectionCheck(connection_id=connection.connection_id, platform=connection.platform)
        options, failures = self.tools.options, FailureActions(self.tools)
        platform_client: PlatformClient | None = None
        try:
            secret = await self.threads.call(
                load_connection_secret, connection, self.secrets, options.secret_prefix
            )
            platform_client = connect(
                connection,
                secret,
                self.client,
                budget=self.budget,
                retry=options.retry,
                timeouts=options.timeouts,
                now=self.tools.clock,
            )
            read = await read_usage(connection, platform_client, now=self.tools.clock())
        except DailyLimitExhausted as error:
            count_calls(row, platform_client)
            org_id = await _org_id_without_calls(connection, platform_client)
            return await self.threads.call(failures.exhausted, connection, row, error, org_id)
        except (SecretInvalid, SecretUnreadable) as error:
            return await self._failed(
                connection, row, str(error), type(error).__name__, error.field
            )
        except PlatformError as error:
            count_calls(row, platform_client)
            return await self._failed(connection, row, str(error), type(error).__name__, None)
        except Exception as error:  # a bug or a surprise must not stop the other connections
            logger.exception(
                "connection check failed", extra={"connection_id": connection.connection_id}
            )
            count_calls(row, platform_client)
            message = f"unexpected {type(error).__name__} while reading usage"
            return await self._failed(connection, row, message, type(error).__name__, None)
        count_calls(row, platform_client)
        return await self._act_on(connection, row, read, platform_client)

    async def _act_on(
        self,
        connection: Connection,
        row: ConnectionCheck,
        read: UsageRead,
        platform_client: PlatformClient,
    ) -> ConnectionCheck:
        actions = ReadingActions(self.tools)
        try:
            done = await self.threads.call(actions.assess_and_act, connection, row, read)
            if not isinstance(done, SuspectsWanted):
                return done
            stopped = done.check_drivers and await self._drivers_stopped(
                connection, platform_client, done.assessed
            )
            suspects = None
            if done.entries is not None and not (stopped and _only_the_brake(done.assessed)):
                # Before the brake: its report's "before" is what the alert names.
                suspects = await self._suspects(connection, platform_client, read, done.entries)
            count_calls(row, platform_client)  # what the sources cost counts too
            return await self.threads.call(
                actions.finish, connection, row, read, done.assessed, suspects, stopped
            )
        except Exception as error:
            logger.exception(
                "storing or alerting failed", extra={"connection_id": connection.connection_id}
            )
            row.error = f"reading taken but not processed: {type(error).__name__}"
            return row

    async def _drivers_stopped(
        self, connection: Connection, platform_client: PlatformClient, assessed: Assessed
    ) -> bool:
        """Whether the records' drivers have stopped (one composite call; False, the brake
        standing, when unreadable)."""
        ahead = assessed.decision.ahead
        assert ahead is not None  # checked only before a brake ahead
        # A Salesforce connection's client (for_the_tail_alone checked): never imported
        # here, the platform modules load on first use.
        client = cast("SalesforceClient", platform_client)
        try:
            found = await read_drivers_now(client, connection.protected, assessed.now)
        except Exception:  # a surprise in the answer: the brake stands, the alerts go out
            logger.exception(
                "drivers check failed: the brake stands",
                extra={"connection_id": connection.connection_id},
            )
            return False
        return found is not None and found.stopped(ahead.rate_per_hour)

    async def _suspects(
        self,
        connection: Connection,
        platform_client: PlatformClient,
        read: UsageRead,
        entries: list[Any],
    ) -> Suspects | None:
        """Attribution is a bonus: the alert goes out whatever happens here."""
        assert self.tools.attribution is not None  # SuspectsWanted comes only with it
        try:
            return await gather_suspects(
                connection,
                platform_client,
                read.reading,
                entries,
                self.tools.attribution,
                self.tools.clock(),
            )
        except Exception:
            logger.exception(
                "suspects not gathered", extra={"connection_id": connection.connection_id}
            )
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
        failures = FailureActions(self.tools)
        return await self.threads.call(failures.failed, connection, row, message, error_type)


def _only_the_brake(assessed: Assessed) -> bool:
    """Whether the brake's alert is the only won alert that wants suspects."""
    others = [a for a in assessed.won if a.kind is not AlertKind.BRAKE_THRESHOLD]
    return not wants_suspects(others)


def not_reached(connection: Connection) -> ConnectionCheck:
    return ConnectionCheck(
        connection_id=connection.connection_id,
        platform=connection.platform,
        not_reached=True,
        note=NOT_REACHED,
    )


def unexpected(connection: Connection, error: Exception) -> ConnectionCheck:
    return ConnectionCheck(
        connection_id=connection.connection_id,
        platform=connection.platform,
        error=f"unexpected {type(error).__name__} while checking",
    )


def count_calls(row: ConnectionCheck, platform_client: PlatformClient | None) -> None:
    if platform_client is not None:
        row.api_calls = platform_client.http.billable_calls
        row.auth_calls = platform_client.http.auth_calls


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
