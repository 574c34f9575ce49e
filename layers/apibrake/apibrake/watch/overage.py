"""What the monitor reads of the soft limit and of the break-glass channel, blocking (in a
worker thread): the org's stored entitlement (the daily collection's, models/entitlement.py)
and whether an exhausted org's allowlist holds a kind Apex can still change
(docs/platform-notes.md S9, S11)."""

from __future__ import annotations

import logging
from datetime import datetime

from apibrake.models.allowlist import BREAK_GLASS_KINDS
from apibrake.models.connection import Connection, Platform
from apibrake.models.entitlement import Entitlement
from apibrake.warn.rules import FULL
from apibrake.watch.ports import AllowlistSource, ReadingStore

logger = logging.getLogger(__name__)


def stored_entitlement(state: ReadingStore, connection: Connection) -> Entitlement | None:
    """The daily collection's reading of the org's kind and entitlement (one item read);
    None when there is none or it cannot be read."""
    if connection.platform is not Platform.SALESFORCE:
        return None
    try:
        return state.entitlements().get(connection.connection_id)
    except Exception:
        logger.exception("entitlement not read", extra={"connection_id": connection.connection_id})
        return None


def reading_entitlement(
    state: ReadingStore, connection: Connection, percent: float, now: datetime
) -> Entitlement | None:
    """Only for a Salesforce reading at 100 % or past it. An org whose entitlement was never
    read counts as a paid one only past 100 %: only a paid org answers past its limit. At
    exactly 100 % it may be a sandbox, Developer Edition or trial org, refused from there, so
    nothing is claimed (not "in overage, calls still served")."""
    if connection.platform is not Platform.SALESFORCE or percent < FULL:
        return None
    found = stored_entitlement(state, connection)
    if found is not None or percent <= FULL:
        return found
    return Entitlement(connection_id=connection.connection_id, read_at=now)


def glass_can_brake(allowlist: AllowlistSource, connection: Connection) -> bool:
    """A Salesforce org refusing REST still serves the break-glass channel: worth an
    automatic brake when its allowlist holds a kind Apex can change."""
    if connection.platform is not Platform.SALESFORCE or not connection.brakes_automatically:
        return False
    try:
        entries = allowlist.for_connection(connection.connection_id)[0]
    except Exception:
        logger.exception("allowlist not read", extra={"connection_id": connection.connection_id})
        return False
    return any(
        entry.kind in BREAK_GLASS_KINDS
        and entry.tier <= connection.auto_brake_tier
        and not entry.canary
        for entry in entries
    )
