"""What a test or scenario can tune about the simulated portal."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

# The versions HubSpot serves: its OpenAPI files (shared/specs/hubspot/) and the account
# information guide (2026-03 is GA there too).
SERVED_VERSIONS = {
    "oauth": frozenset({"v1", "2026-03"}),
    "account-info": frozenset({"v3", "2026-03", "2026-09", "2027-03-beta"}),
    "automation": frozenset({"v4", "2026-09-beta"}),
}


# The scope each API needs, by path prefix (HubSpot's scopes reference).
SCOPE_BY_PATH = {"/automation/": "automation", "/account-info/": "oauth"}


def required_scope(path: str) -> str | None:
    return next((scope for prefix, scope in SCOPE_BY_PATH.items() if path.startswith(prefix)), None)


@dataclass
class HubSpotSettings:
    token: str = "pat-na1-sandbox-token"  # the private-app token
    service_key: str = "pat-na2-sandbox-service-key"  # a service key (Development > Keys)
    oauth_client_id: str = "sandbox-hs-client-id"
    oauth_client_secret: str = "sandbox-hs-client-secret"
    refresh_token: str = "sandbox-hs-refresh-token"
    oauth_token_ttl: timedelta = timedelta(minutes=30)  # virtual time
    daily_limit: int = 250_000
    time_zone: str = "America/New_York"  # the daily counter resets at midnight here
    burst_limit: int = 190  # requests per token per burst interval, real time
    burst_interval_ms: int = 10_000
    portal_id: int = 123456
    # What the usage endpoint reports as fetchStatus for a fresh figure (FAILURE, TIMEOUT, ...).
    usage_fetch_status: str = "SUCCESS"
    # When > 0 the usage figure is re-collected at most this often; in between it is CACHED.
    usage_cache_minutes: int = 0
    # Put other limits before the private-apps entry, so a client reading results[0] is wrong.
    extra_usage_entries: bool = False
    include_resets_at: bool = True
    # Unconfirmed third-party reports, each a strict mode: a PUT of a workflow with
    # LIST_BRANCH actions is refused (400 "Invalid request to flow update") even when the
    # body is the GET unchanged; an update of an enabled workflow is refused.
    refuse_branch_updates: bool = False
    refuse_enabled_updates: bool = False
    # The status for a PUT with a stale revisionId is unconfirmed: 400 or 409.
    stale_revision_status: int = 400
    batch_read_max_inputs: int = 100
    list_page_max: int = 100
    # "api:version" pairs past their sunset: HubSpot answers 404 for a removed endpoint.
    retired_versions: set[str] = field(default_factory=set)
    # How the 2027-03-beta usage endpoint answers: "available", "refused" (403, the portal
    # is not in the beta) or "notfound" (fetchStatus NOTFOUND, no figure).
    beta_usage: str = "available"
    # The 2027-03-beta daily entry's name is undocumented: a strict portal names it otherwise.
    beta_usage_entry_name: str = "private-apps-api-calls-daily"
    # The scopes the tokens were granted; None: every one. A call needing another answers
    # 403 MISSING_SCOPES naming it, as HubSpot does.
    granted_scopes: frozenset[str] | None = None

    def grants(self, scope: str | None) -> bool:
        return scope is None or self.granted_scopes is None or scope in self.granted_scopes
