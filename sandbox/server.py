"""The sandbox: one Salesforce org and one HubSpot portal, each on its own port, one clock."""

from __future__ import annotations

from datetime import timedelta
from types import TracebackType

from sandbox.audit import AuditLog
from sandbox.clock import VirtualClock
from sandbox.http import PlatformServer
from sandbox.hubspot import HubSpotPortal, HubSpotSettings
from sandbox.salesforce import SalesforceOrg, SalesforceSettings


class Sandbox:
    def __init__(
        self,
        *,
        clock: VirtualClock | None = None,
        salesforce: SalesforceSettings | None = None,
        hubspot: HubSpotSettings | None = None,
        host: str = "127.0.0.1",
        salesforce_port: int = 0,
        hubspot_port: int = 0,
        latency_ms: int = 0,
    ) -> None:
        self.clock = clock or VirtualClock()
        self.audit = AuditLog()
        self.salesforce = SalesforceOrg(self.clock, self.audit, salesforce or SalesforceSettings())
        self.hubspot = HubSpotPortal(self.clock, self.audit, hubspot or HubSpotSettings())
        # HubSpot workflows' Salesforce actions are carried out by the org's connector.
        self.salesforce.connector.action_feeds.append(self.hubspot.salesforce_actions_now)
        self.salesforce_server = PlatformServer(self.salesforce, host, salesforce_port)
        self.hubspot_server = PlatformServer(self.hubspot, host, hubspot_port)
        self.set_latency(latency_ms)

    @property
    def salesforce_url(self) -> str:
        return self.salesforce_server.url

    @property
    def hubspot_url(self) -> str:
        return self.hubspot_server.url

    def start(self) -> Sandbox:
        self.salesforce_server.start()
        self.hubspot_server.start()
        return self

    def stop(self) -> None:
        self.salesforce_server.stop()
        self.hubspot_server.stop()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def advance(self, delta: timedelta) -> None:
        """Move simulated time; both platforms burn their active automations' calls up to it."""
        self.clock.advance(delta)
        with self.salesforce.lock:
            self.salesforce.accrue()
        with self.hubspot.lock:
            self.hubspot.accrue()

    def set_latency(self, latency_ms: int) -> None:
        self.salesforce_server.faults.latency_ms = latency_ms
        self.hubspot_server.faults.latency_ms = latency_ms
