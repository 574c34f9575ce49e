"""What a test or scenario can tune about the simulated portal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass
class HubSpotSettings:
    token: str = "pat-na1-sandbox-token"  # the private-app token
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
    # The status for a PUT with a stale revisionId is unconfirmed: 400 or 409.
    stale_revision_status: int = 400
    batch_read_max_inputs: int = 100
    list_page_max: int = 100
