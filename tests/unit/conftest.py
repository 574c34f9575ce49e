"""Fixtures for the HTTP layer and the platform clients: a respx router behind an httpx client,
recorded sleeps, an empty token cache for every test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import respx

from apibrake.http import TOKEN_CACHE, PlatformHttp, PlatformProfile
from apibrake.platforms.hubspot.profile import HUBSPOT_PROFILE
from apibrake.platforms.salesforce.profile import SALESFORCE_PROFILE


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _empty_token_cache() -> Iterator[None]:
    TOKEN_CACHE.clear()
    yield
    TOKEN_CACHE.clear()


@pytest.fixture
def router() -> respx.MockRouter:
    return respx.MockRouter(assert_all_called=False)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make_http(router: respx.MockRouter, sleeps: list[float]) -> Callable[..., PlatformHttp]:
    """PlatformHttp on the respx router; sleeps are recorded, never slept."""

    async def record_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    client = httpx.AsyncClient(transport=httpx.MockTransport(router.async_handler))

    def make(profile: PlatformProfile | str = "salesforce", **options: Any) -> PlatformHttp:
        if isinstance(profile, str):
            profile = SALESFORCE_PROFILE if profile == "salesforce" else HUBSPOT_PROFILE
        options.setdefault("sleep", record_sleep)
        options.setdefault("rand", lambda: 1.0)
        return PlatformHttp(client, profile, **options)

    return make
