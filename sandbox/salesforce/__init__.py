"""A simulated Salesforce org: OAuth, limits, SOQL queries, flow activation and scheduled Apex."""

from sandbox.salesforce.org import SalesforceOrg
from sandbox.salesforce.records import FlowDefinition, ScheduledJob
from sandbox.salesforce.settings import SalesforceSettings

__all__ = ["FlowDefinition", "SalesforceOrg", "SalesforceSettings", "ScheduledJob"]
