"""Protected consumers: the callers apibrake exists to keep running (a connection's
`protected_consumers`). apibrake never freezes, blocks or suggests stopping them.

The HubSpot connector is the usual one: it spends Salesforce calls, but only for the records
in-org automations changed, so stopping it breaks the very sync the brake protects while the
automations go on changing records (docs/platform-notes.md S2). What feeds it is
what a brake should stop.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

PROTECTED_FIELD = "protected_consumers"  # the connection field, named in every refusal
# Said wherever a protected consumer shows up: in suspects, in a refused allowlist entry, in
# a brake row the user adapter would not freeze.
KEEP_RUNNING = "the HubSpot sync itself: keep it running; stop what feeds it"
KEEP_OTHER_RUNNING = "a protected consumer: keep it running; stop what feeds it"
# The connected app HubSpot's Salesforce integration logs in through ("HubSpot", "HubSpot
# Integration"): an estimate from the app's name, so a consumer named so is protected even
# before an admin lists it.
HUBSPOT_CONNECTOR = re.compile(r"\bhub\s?spot\b", re.IGNORECASE)
_USER_ID = re.compile(r"^005[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?$")


def is_hubspot_connector(name: str) -> bool:
    return bool(HUBSPOT_CONNECTOR.search(name))


def _same(name: str, listed: str) -> bool:
    # Usernames and app names ignore case; a User Id matches in its 15 or 18 characters.
    if _USER_ID.match(name) and _USER_ID.match(listed):
        return name[:15] == listed[:15]
    return name.strip().lower() == listed.strip().lower()


@dataclass(frozen=True)
class ProtectedConsumers:
    """A connection's protected consumers, matched the way platforms name callers."""

    names: tuple[str, ...] = ()

    @classmethod
    def of(cls, names: Iterable[str]) -> ProtectedConsumers:
        return cls(tuple(names))

    def listed(self, *names: str) -> str | None:
        """The listed name any of `names` (a username, a User Id, an app name) matches."""
        for name in names:
            if not name:
                continue
            for listed in self.names:
                if _same(name, listed):
                    return listed
        return None

    def reason(self, *names: str) -> str | None:
        """Why a caller named `names` must keep running, or None when it is not protected.
        A caller named like the HubSpot connector is protected even when not listed."""
        listed = self.listed(*names)
        if listed is not None:
            return KEEP_RUNNING if _looks_like_connector(listed, names) else KEEP_OTHER_RUNNING
        if any(is_hubspot_connector(name) for name in names if name):
            return KEEP_RUNNING
        return None

    def refusal(self, automation: str) -> str | None:
        """Why an allowlist entry (KIND:NAME) may not be added, or None. A `user` entry is
        refused for any protected user, the connector's included; other kinds only when
        their name is listed (a flow called HubSpot_Rollup feeds the sync, it is not it)."""
        kind, _, name = automation.partition(":")
        reason = self.reason(name) if kind == "user" or self.listed(name) else None
        if reason is None:
            return None
        return (
            f"{PROTECTED_FIELD}: {name} is protected, {reason}; apibrake never freezes, "
            "blocks or stops it. Allowlist the automations that change the records it syncs"
        )


def _looks_like_connector(listed: str, names: tuple[str, ...]) -> bool:
    return any(is_hubspot_connector(name) for name in (listed, *names) if name)


NOTHING_PROTECTED = ProtectedConsumers()
