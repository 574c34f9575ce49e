"""What a simulated Salesforce org is configured with: credentials, limits and API quirks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

SUPPORTED_VERSIONS = tuple(f"{major}.0" for major in range(53, 68))

VERSION_LABELS = {
    "53.0": "Winter '22",
    "54.0": "Spring '22",
    "55.0": "Summer '22",
    "56.0": "Winter '23",
    "57.0": "Spring '23",
    "58.0": "Summer '23",
    "59.0": "Winter '24",
    "60.0": "Spring '24",
    "61.0": "Summer '24",
    "62.0": "Winter '25",
    "63.0": "Spring '25",
    "64.0": "Summer '25",
    "65.0": "Winter '26",
    "66.0": "Spring '26",
    "67.0": "Summer '26",
}


@dataclass
class SalesforceSettings:
    client_id: str = "sandbox-sf-client-id"
    client_secret: str = "sandbox-sf-client-secret"
    username: str = "integration@apibrake.sandbox"
    connected_app_name: str = "apibrake"  # LoginHistory.Application of its token grants
    # JWT bearer is accepted only when the RS256 assertion verifies with this key.
    jwt_public_key_pem: str | None = None
    daily_limit: int = 100_000
    # The soft limit (docs/platform-notes.md S2, S11): a paid org may run past its daily limit
    # by a share Salesforce does not publish; here `overage_pct` of the limit, then refused.
    # Sandboxes, Developer Edition and trials have none (0, the default: refused at 100 %).
    overage_pct: float = 0.0
    org_type: str = "Enterprise Edition"  # Organization.OrganizationType
    is_sandbox: bool = False
    trial: bool = False
    api_versions: tuple[str, ...] = SUPPORTED_VERSIONS
    # Whether a token answer carries `id` (the identity URL). One 2026 report shows a client
    # credentials answer without it: False is that strict reading (UserInfo still says who).
    token_identity: bool = True
    # Virtual time; None: tokens never expire unless `SalesforceOrg.expire_tokens()`.
    token_ttl: timedelta | None = None
    # name -> (Max, Remaining): nested inside DailyApiRequests by `/limits` when set.
    per_app_entries: dict[str, tuple[int, int]] = field(default_factory=dict)
    # Very old API versions sent the `/limits` figures as strings.
    numbers_as_strings: bool = False
    org_id: str = "00D5g000004Sandbox"
    user_id: str = "0055g00000IntgUser"
    # The integration user's time zone: what System.schedule gives new jobs.
    user_time_zone: str = "America/New_York"
    # Whether namespaced (managed package) flows may be (de)activated through the API.
    managed_flows_editable: bool = True
    query_page_size: int = 2000
    # Appended verbatim to Sforce-Limit-Info, e.g. "; api-bursts=3/40".
    limit_info_extra: str = ""
    max_scheduled_jobs: int = 100
    # Tooling ApexClass.SymbolTable has been reported null on some rows of multi-row answers
    # (query pages after the first): True nulls it on every row but the first.
    symbol_table_null_after_first: bool = False
    # Longest request URL (path + query) served; longer ones get 414.
    max_url_chars: int = 16_384
    # The integration user's user permissions by API name (sandbox/salesforce/permissions.py);
    # None: every one.
    granted_permissions: frozenset[str] | None = None
    # PermissionSet fields this org does not have (an edition or licence without the
    # permission), e.g. {"PermissionsViewEventLogFiles"}: a query naming one answers
    # INVALID_FIELD (docs/platform-notes.md S7).
    missing_permission_fields: frozenset[str] = frozenset()
    # Event monitoring (docs/platform-notes.md A1-A3). Daily ApiTotalUsage files need
    # "Generate event log files" on; hourly files and ApiTotalUsageEventLog need the Event
    # Monitoring licence, which also keeps files 30 days instead of 1.
    event_log_generation: bool = True
    event_monitoring_licensed: bool = False
    daily_file_delay: timedelta = timedelta(hours=1)  # "during nonpeak hours the day after"
    hourly_file_delay: timedelta = timedelta(hours=3)  # "3-6 hours" after the hour
    # "When delays in processing occur and event logs for a particular hour arrive later, a
    # new log file is created for the event/date/hour and lists only the new events": each
    # hour's events split into this many files, 20 minutes apart (Sequence 1, 2, ...).
    hourly_files_per_hour: int = 1
    # Whether ApiTotalUsageEventLog takes COUNT()/GROUP BY: documented neither way. False is
    # the strict reading: refused with MALFORMED_QUERY, plain rows only.
    event_log_object_aggregates: bool = True
    # How long sessions a user had before a freeze keep working (undocumented by Salesforce:
    # docs/runbook.md); an external integration running as the user stops after it.
    frozen_sessions_last: timedelta = timedelta(0)
    # Calls with a DebuggingHeader an org may make in 24 hours, served even after the daily
    # limit is spent (SOAP API, DebuggingHeader: docs/platform-notes.md S9).
    debugging_calls_per_day: int = 1000
    # The debug log a DebuggingHeader call returns, cut to this many characters (None: whole).
    # A log over its size limit loses its older lines (docs/platform-notes.md S9); whether the
    # header's copy can lose its newer ones is not documented: `debug_log_loses` picks.
    debug_log_max_chars: int | None = None
    debug_log_loses: str = "older"  # "older" (its start) or "newer" (its end)
    # Whether an app's tokens issued before its permission set's access was removed keep
    # working (unconfirmed, docs/platform-notes.md S10): True is the strict reading.
    app_tokens_survive_unlink: bool = False

    def grants(self, permission: str) -> bool:
        return self.granted_permissions is None or permission in self.granted_permissions
