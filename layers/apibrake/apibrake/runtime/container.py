"""What a warm Lambda container keeps between invocations, and how to forget it.

The drill and the CLI play all three functions in one process against fresh local stacks;
`forget()` gives them what a cold start would: no cached settings, AWS clients, secrets,
tokens, portal offsets, HubSpot beta refusals or idempotency stores.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from apibrake.http.token_cache import TOKEN_CACHE
from apibrake.platforms.hubspot.client import forget_beta_refusals
from apibrake.runtime import aws
from apibrake.runtime.settings import IncidentSettings, MonitorSettings, PlannerSettings
from apibrake.watch.usage import forget_portal_offsets

# Per-container caches beyond this module's own, registered by their owners.
_FORGETTERS: list[Callable[[], Any]] = []


@functools.cache
def monitor_settings() -> MonitorSettings:
    return MonitorSettings.from_env()


@functools.cache
def incident_settings() -> IncidentSettings:
    return IncidentSettings.from_env()


@functools.cache
def planner_settings() -> PlannerSettings:
    return PlannerSettings.from_env()


def on_forget(forget_one: Callable[[], Any]) -> None:
    _FORGETTERS.append(forget_one)


def forget() -> None:
    monitor_settings.cache_clear()
    incident_settings.cache_clear()
    planner_settings.cache_clear()
    # A client cached for one local moto process would keep talking to it.
    aws.aws_client.cache_clear()
    aws.secret_loader.cache_clear()
    forget_portal_offsets()
    forget_beta_refusals()
    TOKEN_CACHE.clear()
    for forget_one in _FORGETTERS:
        forget_one()
