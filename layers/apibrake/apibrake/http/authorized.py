"""Bearer-token calls: one fresh token and one retry after a 401, never more."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, TypeVar

import httpx
from pydantic import SecretStr

from apibrake.http.client import PlatformHttp
from apibrake.http.errors import AuthenticationFailed
from apibrake.http.profile import CallKind, Change

T = TypeVar("T")


class TokenProvider(Protocol):
    @property
    def can_refresh(self) -> bool: ...

    async def token(self) -> SecretStr: ...

    def invalidate(self, token: SecretStr) -> None: ...


class AuthorizedHttp:
    def __init__(
        self,
        http: PlatformHttp,
        tokens: TokenProvider,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.http = http
        self.tokens = tokens
        self._headers = dict(headers or {})

    def __repr__(self) -> str:
        return f"AuthorizedHttp({self.http!r})"

    async def request_parsed(
        self,
        method: str,
        url: str,
        *,
        parse: Callable[[httpx.Response], T],
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        kind: CallKind = CallKind.API,
        change: Change | None = None,
    ) -> T:
        async def send(token: SecretStr) -> T:
            return await self.http.request_parsed(
                method,
                url,
                parse=parse,
                params=params,
                json=json,
                headers=self._with(token),
                kind=kind,
                change=change,
            )

        token = await self.tokens.token()
        try:
            return await send(token)
        except AuthenticationFailed as error:
            if error.status != 401 or not self.tokens.can_refresh:
                raise
            self.tokens.invalidate(token)
        return await send(await self.tokens.token())

    async def stream(self, url: str, *, consume: Callable[[httpx.Response], Awaitable[T]]) -> T:
        """`PlatformHttp.stream` with the token, one fresh token after a 401."""
        token = await self.tokens.token()
        try:
            return await self.http.stream(url, consume=consume, headers=self._with(token))
        except AuthenticationFailed as error:
            if error.status != 401 or not self.tokens.can_refresh:
                raise
            self.tokens.invalidate(token)
        return await self.http.stream(
            url, consume=consume, headers=self._with(await self.tokens.token())
        )

    def _with(self, token: SecretStr) -> dict[str, str]:
        return {**self._headers, "Authorization": f"Bearer {token.get_secret_value()}"}
