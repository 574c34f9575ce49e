"""The registry: one adapter per automation kind (cloud-custodian style).

Each adapter declares the permissions or scopes it needs next to the calls that need them;
`required_permissions` collects them for the setup docs and for connection checks.
"""

from __future__ import annotations

from typing import Any

from apibrake.incident.adapters.app import AppAdapter
from apibrake.incident.adapters.base import Adapter
from apibrake.incident.adapters.flow import FlowAdapter
from apibrake.incident.adapters.scheduled_apex import ScheduledApexAdapter
from apibrake.incident.adapters.setting import SettingAdapter
from apibrake.incident.adapters.user import UserAdapter
from apibrake.incident.adapters.workflow import WorkflowAdapter
from apibrake.models.allowlist import AutomationKind
from apibrake.models.connection import Platform
from apibrake.models.permissions import Permission, unique
from apibrake.platforms.permissions import attribution_permissions, usage_permissions

ADAPTERS: dict[AutomationKind, Adapter[Any]] = {
    adapter.kind: adapter
    for adapter in (
        FlowAdapter(),
        ScheduledApexAdapter(),
        SettingAdapter(),
        UserAdapter(),
        AppAdapter(),
        WorkflowAdapter(),
    )
}


def adapter_for(kind: AutomationKind) -> Adapter[Any]:
    return ADAPTERS[kind]


def adapters_for(platform: Platform) -> list[Adapter[Any]]:
    return [adapter for adapter in ADAPTERS.values() if adapter.platform is platform]


def required_permissions(platform: Platform) -> dict[AutomationKind, tuple[Permission, ...]]:
    return {adapter.kind: adapter.permissions for adapter in adapters_for(platform)}


def all_permissions(platform: Platform) -> tuple[Permission, ...]:
    """Everything apibrake needs on the platform: the usage read's, every kind's, then
    attribution's."""
    kinds = [p for adapter in adapters_for(platform) for p in adapter.permissions]
    return unique([*usage_permissions(platform), *kinds, *attribution_permissions(platform)])


__all__ = [
    "ADAPTERS",
    "Adapter",
    "adapter_for",
    "adapters_for",
    "all_permissions",
    "required_permissions",
]
