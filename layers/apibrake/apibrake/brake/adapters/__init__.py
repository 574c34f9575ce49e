"""The registry: one adapter per automation kind (cloud-custodian style).

Each adapter declares the permissions or scopes it needs next to the calls that need them;
`required_permissions` collects them for the README and for connection checks.
"""

from __future__ import annotations

from apibrake.brake.adapters.base import Adapter
from apibrake.brake.adapters.flow import FlowAdapter
from apibrake.brake.adapters.scheduled_apex import ScheduledApexAdapter
from apibrake.brake.adapters.workflow import WorkflowAdapter
from apibrake.models.allowlist import AutomationKind
from apibrake.models.connection import Platform

ADAPTERS: dict[AutomationKind, Adapter] = {
    adapter.kind: adapter for adapter in (FlowAdapter(), ScheduledApexAdapter(), WorkflowAdapter())
}


def adapter_for(kind: AutomationKind) -> Adapter:
    return ADAPTERS[kind]


def required_permissions(platform: Platform) -> dict[AutomationKind, tuple[str, ...]]:
    return {kind: a.permissions for kind, a in ADAPTERS.items() if a.platform is platform}


__all__ = ["ADAPTERS", "Adapter", "adapter_for", "required_permissions"]
