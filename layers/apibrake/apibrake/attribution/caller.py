"""Who made calls, as the sources name them, and how that reads as a Consumer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from apibrake.models.allowlist import AllowlistEntry
from apibrake.models.attribution import Consumer, ConsumerKind
from apibrake.models.protected import ProtectedConsumers, is_hubspot_connector

OWN_CLIENT = "apibrake"  # what our own calls send in Sforce-Call-Options


@dataclass(frozen=True, order=True)
class CallerKey:
    """A ranking's unit: a connected app, the client name it sent, the user it ran as."""

    connected_app: str = ""
    client: str = ""
    user: str = ""

    def label(self) -> str:
        if is_hubspot_connector(self.connected_app) or is_hubspot_connector(self.user):
            return f"HubSpot connector ({self.user or self.connected_app})"
        if self.client and self.connected_app:
            return f"{self.client} via {self.connected_app} (connected app)"
        if self.client:
            return f"{self.client} (client {self.user})" if self.user else self.client
        if self.connected_app:
            return f"{self.connected_app} (connected app, user {self.user or 'unknown'})"
        return f"user {self.user}" if self.user else "unknown caller"


def short_id(value: str) -> str:
    """A Salesforce id in its 15-character form: files carry 15 (CONNECTED_APP_ID), the
    event log object 18 (ConnectedAppIdentifier); the 3 more are a checksum."""
    return value[:15] if len(value) == 18 and value.isalnum() else value


def allowlist_key(name: str, entries: Sequence[AllowlistEntry]) -> str | None:
    """The allowlist key an automation named `name` has (flow:X, scheduled_apex:Y,
    workflow:Z), matching the name after the colon; None when none matches."""
    for entry in entries:
        if entry.automation.partition(":")[2].lower() == name.lower():
            return entry.automation
    return None


def consumer(key: CallerKey, calls: int, total: int, entries: Sequence[AllowlistEntry]) -> Consumer:
    automation = allowlist_key(key.client, entries) if key.client else None
    if automation:
        kind = ConsumerKind.AUTOMATION
        name = automation.replace(":", " ", 1)
    elif key.connected_app:
        kind, name = ConsumerKind.CONNECTED_APP, key.label()
    elif key.client:
        kind, name = ConsumerKind.CLIENT, key.label()
    else:
        kind, name = ConsumerKind.USER, key.label()
    return Consumer(
        name=name,
        kind=kind,
        calls=calls,
        share=round(calls / total, 4) if total else None,
        automation=automation,
        # On the allowlist: the brake stops it. Anything else needs a person.
        allowlisted=automation is not None,
        connected_app=key.connected_app,
        client=key.client,
        user=key.user,
    )


def keep_running(consumer: Consumer, protected: ProtectedConsumers) -> str:
    """Why `consumer` must keep running, or "": an app or a user (never an automation) the
    connection protects, or one named like the HubSpot connector."""
    if consumer.automation is not None:
        return ""
    return consumer.protected or protected.reason(*consumer.identities) or ""
