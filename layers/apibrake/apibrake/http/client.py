"""PlatformHttp: the one HTTP wrapper both platform clients use.

It sends, counts, retries within a budget, classifies errors and captures the usage
headers of every response. It knows nothing of tokens (see `authorized.py`) or AWS.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx

from apibrake.http.errors import (
    AnswerLost,
    MalformedResponse,
    NotSent,
    PlatformError,
    RateLimited,
)
from apibrake.http.profile import CallKind, Change, PlatformProfile
from apibrake.http.retry import RetryBudget, RetryPolicy
from apibrake.models.usage import UsageReading

T = TypeVar("T")

logger = logging.getLogger(__name__)

# Failures before the request left this machine: the platform never saw a call.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True)
class Timeouts:
    connect: float = 3.0
    read: float = 15.0  # also used for write and for waiting on a pooled connection
    # Calls that change something wait longer: a composite of 25 flow saves is 25 metadata
    # deployments, and an answer given up on may still have landed. Adapters start such a
    # call only with this much time left before the Lambda deadline's margin.
    work: float = 30.0

    def as_httpx(self, *, work: bool = False) -> httpx.Timeout:
        return httpx.Timeout(self.work if work else self.read, connect=self.connect)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _request_path(response: httpx.Response) -> str:
    try:
        return response.request.url.path
    except RuntimeError:  # a response built by hand, without its request
        return "the platform"


def _response_itself(response: httpx.Response) -> httpx.Response:
    return response


def _may_send_again(error: PlatformError, change: Change | None) -> bool:
    """A ONCE call goes again only when the platform surely did not run it: it never got
    it, or refused it for the rate. Anything else (a lost answer, an unreadable 200, a
    gateway's 5xx) may have run it: the caller re-reads instead."""
    if change is not Change.ONCE:
        return True
    return isinstance(error, NotSent | RateLimited)


class PlatformHttp:
    """One per connection; share the httpx.AsyncClient and the RetryBudget between them."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        profile: PlatformProfile,
        *,
        retry: RetryPolicy | None = None,
        budget: RetryBudget | None = None,
        timeouts: Timeouts | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rand: Callable[[], float] = random.random,
        now: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._client = client
        self._profile = profile
        self._retry = retry or RetryPolicy()
        self.budget = budget or RetryBudget()
        self._timeouts = timeouts or Timeouts()
        self._sleep = sleep
        self._rand = rand
        self.now = now
        self.calls_made = 0  # every request sent: API, token and free calls, retries included
        self.auth_calls = 0  # of which token endpoint calls
        self.free_calls = 0  # of which calls documented as free
        self.retries = 0
        self.last_header_reading: UsageReading | None = None

    @property
    def platform(self) -> str:
        return self._profile.platform

    @property
    def billable_calls(self) -> int:
        """Calls that count against the platform's daily limit."""
        return self.calls_made - self.auth_calls - self.free_calls

    def __repr__(self) -> str:
        return (
            f"PlatformHttp(platform={self.platform!r}, calls_made={self.calls_made}, "
            f"auth_calls={self.auth_calls}, retries={self.retries})"
        )

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        kind: CallKind = CallKind.API,
        retry: bool = True,
        change: Change | None = None,
    ) -> httpx.Response:
        """Send until a 2xx arrives (returned) or an error is final (raised)."""
        return await self.request_parsed(
            method,
            url,
            parse=_response_itself,
            params=params,
            json=json,
            data=data,
            headers=headers,
            kind=kind,
            retry=retry,
            change=change,
        )

    async def request_parsed(
        self,
        method: str,
        url: str,
        *,
        parse: Callable[[httpx.Response], T],
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        kind: CallKind = CallKind.API,
        retry: bool = True,
        change: Change | None = None,
        content: bytes | None = None,
    ) -> T:
        """Like `request`, with `parse` inside the retry loop so a malformed body is retried.
        `change` marks a call that changes something (see `Change`)."""
        retries_by_error: dict[type[PlatformError], int] = {}
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self._send(
                    method,
                    url,
                    params=params,
                    json=json,
                    data=data,
                    headers=headers,
                    kind=kind,
                    work=change is not None,
                    content=content,
                )
                return parse(response)
            except PlatformError as error:
                done_for_this_error = retries_by_error.get(type(error), 0)
                if not (
                    retry
                    and _may_send_again(error, change)
                    and self._may_retry(error, attempt, done_for_this_error)
                ):
                    raise
                retries_by_error[type(error)] = done_for_this_error + 1
                self.retries += 1
                delay = self._retry.delay(attempt, error, self._rand)
                logger.info(
                    "retrying platform call",
                    extra={
                        "platform": self.platform,
                        "method": method,
                        "path": httpx.URL(url).path,
                        "error": type(error).__name__,
                        "attempt": attempt,
                        "delay_s": round(delay, 3),
                    },
                )
                await self._sleep(delay)

    async def stream(
        self,
        url: str,
        *,
        consume: Callable[[httpx.Response], Awaitable[T]],
        headers: Mapping[str, str] | None = None,
        kind: CallKind = CallKind.API,
    ) -> T:
        """GET a body too big to hold (an event log file): `consume` reads it as it arrives.
        Counted like any call; not retried (a half-read body cannot be un-read)."""
        path = httpx.URL(url).path
        counted = False
        try:
            async with self._client.stream(
                "GET", url, headers=headers, timeout=self._timeouts.as_httpx(work=True)
            ) as response:
                self._count(kind)
                counted = True
                self._capture_usage(response)
                if not response.is_success:
                    await response.aread()
                    raise self._profile.classify(response, kind)
                return await consume(response)
        except _NOT_SENT as exc:
            raise NotSent(
                self.platform, f"could not connect for GET {path} ({type(exc).__name__})"
            ) from None
        except httpx.TransportError as exc:
            if not counted:
                self._count(kind)
            raise AnswerLost(
                self.platform, f"GET {path} sent, but the body broke off ({type(exc).__name__})"
            ) from None

    def json_body(self, response: httpx.Response) -> Any:
        """The response's JSON, or MalformedResponse (an HTML page, broken or empty JSON)."""
        try:
            return jsonlib.loads(response.content)
        except ValueError:
            content_type = response.headers.get("content-type", "unknown")
            raise MalformedResponse(
                self.platform,
                f"expected JSON from {_request_path(response)}, "
                f"got {len(response.content)} bytes of {content_type}",
                status=response.status_code,
            ) from None

    def _may_retry(self, error: PlatformError, attempt: int, done_for_this_error: int) -> bool:
        if not error.retryable or attempt >= self._retry.attempts_for(error):
            return False
        if error.max_retries is not None and done_for_this_error >= error.max_retries:
            return False
        if not self.budget.try_spend():
            logger.warning(
                "retry budget exhausted, giving up",
                extra={"platform": self.platform, "error": type(error).__name__},
            )
            return False
        return True

    async def _send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str | int] | None,
        json: Any,
        data: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        kind: CallKind,
        work: bool,
        content: bytes | None = None,
    ) -> httpx.Response:
        path = httpx.URL(url).path
        try:
            response = await self._client.request(
                method,
                url,
                params=params,
                json=json,
                data=data,
                content=content,
                headers=headers,
                timeout=self._timeouts.as_httpx(work=work),
            )
        except _NOT_SENT as exc:
            raise NotSent(
                self.platform, f"could not connect for {method} {path} ({type(exc).__name__})"
            ) from None
        except httpx.TransportError as exc:
            self._count(kind)
            raise AnswerLost(
                self.platform,
                f"{method} {path} sent, but no answer came back ({type(exc).__name__})",
            ) from None
        self._count(kind)
        if kind is not CallKind.AUTH:
            self._capture_usage(response)
        if response.is_success:
            return response
        error = self._profile.classify(response, kind)
        logger.warning(
            "platform call failed",
            extra={
                "platform": self.platform,
                "method": method,
                "path": path,
                "status": response.status_code,
                "error": type(error).__name__,
                "code": error.code,
                "correlation_id": error.correlation_id,
            },
        )
        raise error

    def _count(self, kind: CallKind) -> None:
        self.calls_made += 1
        if kind is CallKind.AUTH:
            self.auth_calls += 1
        elif kind is CallKind.FREE:
            self.free_calls += 1

    def _capture_usage(self, response: httpx.Response) -> None:
        try:
            reading = self._profile.read_usage(response.headers, self.now())
        except Exception:  # a bonus reading must never fail a call
            logger.exception("usage header reader failed", extra={"platform": self.platform})
            return
        if reading is not None:
            self.last_header_reading = reading
