"""The org's kind and its 30-day API entitlement, in one composite call (two queries):
`Organization` (OrganizationType, IsSandbox, TrialExpirationDate) and
`TenantUsageEntitlement` (AmountUsed, CurrentAmountAllowed, OverageGrace, Frequency; object
reference, docs/platform-notes.md S11). Which entitlement row is the API requests' one is
not documented: the row whose Setting or label names API requests or calls is taken; an org
that refuses the object (or shows no such row) still gets its kind, and so whether it may
run past 100 %.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from apibrake.models.entitlement import Entitlement
from apibrake.platforms.salesforce.client import SalesforceClient, SubqueryRefused, answered

_API_ROW = re.compile(r"api.*(request|call)|(request|call).*api", re.IGNORECASE)
QUERIES = {
    "org": "SELECT OrganizationType, IsSandbox, TrialExpirationDate FROM Organization",
    "entitlements": (
        "SELECT Setting, MasterLabel, AmountUsed, CurrentAmountAllowed, OverageGrace, "
        "Frequency FROM TenantUsageEntitlement LIMIT 200"
    ),
}


async def read_entitlement(
    client: SalesforceClient, connection_id: str, *, now: datetime
) -> Entitlement:
    """One API call. A refused Organization query raises; a refused entitlement query
    leaves the 30-day figures unknown."""
    answers = await client.query_many(QUERIES)
    orgs = answered(answers["org"])
    org = orgs[0] if orgs else {}
    rows = answers["entitlements"]
    api = None if isinstance(rows, SubqueryRefused) else _api_row(rows)
    return Entitlement(
        connection_id=connection_id,
        read_at=now,
        org_type=org.get("OrganizationType"),
        sandbox=org.get("IsSandbox") is True,
        trial=bool(org.get("TrialExpirationDate")),
        setting=(api or {}).get("Setting") or (api or {}).get("MasterLabel"),
        used_30d=_number((api or {}).get("AmountUsed")),
        allowed_30d=_number((api or {}).get("CurrentAmountAllowed")),
        overage_grace_pct=_number((api or {}).get("OverageGrace")),
        frequency=(api or {}).get("Frequency"),
    )


def _api_row(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next(
        (
            row
            for row in rows
            if _API_ROW.search(str(row.get("Setting") or ""))
            or _API_ROW.search(str(row.get("MasterLabel") or ""))
        ),
        None,
    )


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
