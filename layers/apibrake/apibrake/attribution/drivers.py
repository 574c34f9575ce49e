"""The chain's second half: the drivers behind a consumer's burn.

In-org automations spend no API calls; they change records, and the consumers that sync
those records (the HubSpot connector above all) spend the calls (docs/platform-notes.md
S2). So a driver is told by what it did: a flow activated (SetupAuditTrail), a
scheduled job's runs (AsyncApexJob: runs, not calls), records changed per object and per
changing user (the Automated Process user, a job's owner). Each source costs one call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from apibrake.attribution import sources
from apibrake.attribution.spending import Spender
from apibrake.models.allowlist import AllowlistEntry
from apibrake.models.attribution import (
    AttributionSource,
    Consumer,
    ConsumerKind,
    Driver,
    DriverKind,
    Suspects,
)
from apibrake.models.protected import KEEP_RUNNING, NOTHING_PROTECTED, ProtectedConsumers

if TYPE_CHECKING:
    from apibrake.platforms.salesforce.client import SalesforceClient

MAX_DRIVERS = 10
# Activations first (the likeliest start of a burn), then the work itself, most first.
_ORDER = {DriverKind.ACTIVATION: 0, DriverKind.RECORD_CHANGES: 1, DriverKind.SCHEDULED_RUNS: 2}


@dataclass(frozen=True)
class Reach:
    """Where the driver sources look: the org, its allowlist, since when."""

    client: SalesforceClient
    entries: Sequence[AllowlistEntry]
    since: datetime
    # Their own saves (the HubSpot connector's write-backs) are the sync, never a driver.
    protected: ProtectedConsumers = NOTHING_PROTECTED


async def setup_changes(suspects: Suspects, spender: Spender, reach: Reach) -> None:
    """SetupAuditTrail (one query): the recent changes, and each flow activation a driver."""
    if not spender.may_try(AttributionSource.SETUP_AUDIT_TRAIL):
        return
    changes = await spender.spend(
        AttributionSource.SETUP_AUDIT_TRAIL,
        lambda: sources.setup_changes(reach.client, reach.since, reach.entries),
    )
    suspects.changes = changes or []
    add(suspects, sources.activations(suspects.changes))


async def scheduled_runs(suspects: Suspects, spender: Spender, reach: Reach) -> bool:
    """AsyncApexJob (one query): each scheduled job's runs; whether it was read."""
    if not spender.may_try(AttributionSource.ASYNC_APEX):
        return False
    runs = await spender.spend(
        AttributionSource.ASYNC_APEX,
        lambda: sources.scheduled_runs(reach.client, reach.since, reach.entries),
    )
    add(suspects, runs or [])
    return runs is not None


async def record_changes(
    suspects: Suspects, spender: Spender, reach: Reach, sobjects: Sequence[str]
) -> bool:
    """Records changed per object and user (one composite call); whether it was read."""
    if not sobjects or not spender.may_try(AttributionSource.RECORD_CHANGES):
        return False
    answer = await spender.spend(
        AttributionSource.RECORD_CHANGES,
        lambda: sources.changed_records(reach.client, reach.since, sobjects),
    )
    if answer is None:
        return False
    changed, notes = answer
    add(suspects, [d for d in changed if not (d.who and reach.protected.reason(d.who))])
    suspects.notes += notes
    return True


def add(suspects: Suspects, drivers: Sequence[Driver]) -> None:
    merged = [*suspects.drivers, *drivers]
    merged.sort(key=lambda d: (_ORDER[d.kind], -(d.at.timestamp() if d.at else 0), -(d.count or 0)))
    suspects.drivers = merged[:MAX_DRIVERS]


def promote_new_activations(suspects: Suspects) -> None:
    """A flow activated after the newest data the consumer ranking covers cannot show in
    that ranking (yesterday's file predates it): its driver says so. Only activations are
    drivers: a run-mode change (`...WithSystemMode`) and apibrake's own re-activation at a
    release never are (`sources.activations`)."""
    newest = suspects.data_as_of
    suspects.drivers = [
        driver.model_copy(update={"evidence": "after the newest usage data"})
        if driver.kind is DriverKind.ACTIVATION
        and driver.at is not None
        and (newest is None or driver.at > newest)
        else driver
        for driver in suspects.drivers
    ]


def feeds_a_sync(suspects: Suspects, protected: ProtectedConsumers) -> bool:
    """Whether the burn is likely a sync's (the top consumer is a protected one, the HubSpot
    connector; or no source ranked the consumers and the connection protects a sync): then
    the records changed tell more than a job's runs."""
    top = suspects.top
    if top is None:
        return bool(protected.names)
    return top.automation is None and bool(protected.reason(*top.identities))


def infer_sync_consumer(suspects: Suspects, protected: ProtectedConsumers) -> None:
    """No source ranked the consumers, yet records were changed on the objects the
    connection's protected sync reads: that sync is the likely spender (a sync spends calls
    on what others change, docs/platform-notes.md S6). Named as inferred, with no count, and
    kept running (what feeds it is what the brake stops)."""
    changed = [d for d in suspects.drivers if d.kind is DriverKind.RECORD_CHANGES]
    if suspects.consumers or not changed or not protected.names:
        return
    sync = next((n for n in protected.names if protected.reason(n) == KEEP_RUNNING), None)
    name = sync or protected.names[0]
    objects = ", ".join(sorted({d.name.removesuffix(" records") for d in changed}))
    suspects.consumers = [
        Consumer(
            name=f"HubSpot connector ({name})" if sync else name,
            kind=ConsumerKind.USER if "@" in name else ConsumerKind.CONNECTED_APP,
            calls=0,
            evidence=f"inferred, not counted: it syncs the {objects} records the drivers changed",
            user=name if "@" in name else "",
            connected_app="" if "@" in name else name,
        )
    ]
