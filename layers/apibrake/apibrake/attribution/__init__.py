"""Attribution: who is spending a connection's calls, and what changed before the burn.

Sources, cheapest first (docs/platform-notes.md A1-A6, C9): data already collected (the daily
ApiTotalUsage summary, the HubSpot reading's usageByAppType) costs nothing; SetupAuditTrail,
ApiTotalUsageEventLog and AsyncApexJob cost one query each, within a per-alert budget.
"""
