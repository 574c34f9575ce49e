"""Attribution: who is burning a connection's calls, as a chain: the consumer that spends
them (an app, a user or a client, its share, the data's window) and the drivers behind it
(the automations that changed the records it reads).

Sources, cheapest first (docs/platform-notes.md A1-A6, C9): data already collected (the daily
ApiTotalUsage summary, the HubSpot reading's usageByAppType) costs nothing; SetupAuditTrail,
ApiTotalUsageEventLog, AsyncApexJob and the record changes cost one call each, within a
per-alert budget. Salesforce's activity queries live in platforms/salesforce/activity.py.

This module is the package's one entry point: code outside it imports from here only.
"""

from apibrake.attribution.budget import MAX_CALLS_PER_ALERT, CallBudget
from apibrake.attribution.caller import CallerKey, keep_running
from apibrake.attribution.collect import Collected, CollectStatus, collect_daily
from apibrake.attribution.finder import AttributionFinder
from apibrake.attribution.gather import (
    AttributionMemory,
    Gathering,
    collected_suspects,
    salesforce_suspects,
)
from apibrake.attribution.hubspot import hubspot_suspects
from apibrake.attribution.memory import AttributionStore
from apibrake.attribution.sources import SYNCED_OBJECTS
from apibrake.attribution.summary import CallerCalls, DailySummary
from apibrake.attribution.tally import UsageTally

__all__ = [
    "MAX_CALLS_PER_ALERT",
    "SYNCED_OBJECTS",
    "AttributionFinder",
    "AttributionMemory",
    "AttributionStore",
    "CallBudget",
    "CallerCalls",
    "CallerKey",
    "CollectStatus",
    "Collected",
    "DailySummary",
    "Gathering",
    "UsageTally",
    "collect_daily",
    "collected_suspects",
    "hubspot_suspects",
    "keep_running",
    "salesforce_suspects",
]
