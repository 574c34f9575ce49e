"""The soak's fleet: several Salesforce orgs and HubSpot portals on one virtual clock, their
automations, a daily usage pattern, and runaways on random days.

Calm days use about half of each limit (no threshold crossed); a runaway makes one
allowlisted automation burn fast enough to reach the brake threshold within hours. Once
the brake stopped it, its owner fixes it (its rate goes back to normal), so the release
brings back a calm automation.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from apibrake.models.connection import Connection
from drill.stack import LocalStack
from sandbox.clock import VirtualClock
from sandbox.hubspot import HubSpotSettings
from sandbox.salesforce.connector import records_costing
from sandbox.server import Sandbox

# calls per hour: background (business hours, night), each allowlisted automation, runaway
SALESFORCE_RATES = {"day": 2_500.0, "night": 800.0, "automation": 300.0, "runaway": 12_000.0}
HUBSPOT_RATES = {"day": 4_000.0, "night": 2_000.0, "automation": 800.0, "runaway": 40_000.0}
BUSINESS_HOURS_UTC = range(13, 22)


@dataclass
class Member:
    """One connection: its platform's state in the sandbox and what the soak did to it."""

    cid: str
    platform: str
    sandbox: Sandbox
    allowlisted: list[str]  # names (flow DeveloperName, job name, workflow id)
    outside: str  # an automation never on the allowlist
    runaway_name: str
    runaway_until_braked: bool = False
    runaways: int = 0

    @property
    def org(self) -> Any:
        return self.sandbox.salesforce if self.platform == "salesforce" else self.sandbox.hubspot

    @property
    def server(self) -> Any:
        if self.platform == "salesforce":
            return self.sandbox.salesforce_server
        return self.sandbox.hubspot_server

    def percent(self) -> float:
        used, limit = self.org.usage()
        return 100.0 * float(used) / float(limit)

    def is_on(self, name: str) -> bool:
        if self.platform == "salesforce":
            job = self.org.job(name)
            if name in self.org.records.flows:
                return self.org.flow(name).active_version is not None
            return job is not None
        return self.org.workflow(name)["isEnabled"] is True


@dataclass
class Fleet:
    clock: VirtualClock
    sandboxes: list[Sandbox]
    members: list[Member] = field(default_factory=list)

    @classmethod
    def start(cls, pairs: int, start: datetime) -> Fleet:
        clock = VirtualClock(start)
        # The burst window is real time: the soak fires a month of calls in minutes.
        settings = [HubSpotSettings(burst_limit=1_000_000) for _ in range(pairs)]
        sandboxes = [Sandbox(clock=clock, hubspot=s).start() for s in settings]
        return cls(clock, sandboxes)

    def stop(self) -> None:
        for sandbox in self.sandboxes:
            sandbox.stop()

    def advance(self, delta: timedelta) -> None:
        self.clock.advance(delta)
        for sandbox in self.sandboxes:
            with sandbox.salesforce.lock:
                sandbox.salesforce.accrue()
            with sandbox.hubspot.lock:
                sandbox.hubspot.accrue()

    def build(self, stack: LocalStack) -> None:
        for number, sandbox in enumerate(self.sandboxes, start=1):
            self.members.append(_salesforce(stack, sandbox, f"sf-{number}"))
            self.members.append(_hubspot(stack, sandbox, f"hs-{number}"))

    def set_hour_rates(self) -> None:
        """Background traffic follows business hours (UTC 13-22: the US working day)."""
        busy = self.clock.now().hour in BUSINESS_HOURS_UTC
        for member in self.members:
            rates = SALESFORCE_RATES if member.platform == "salesforce" else HUBSPOT_RATES
            member.org.set_background_rate(rates["day" if busy else "night"])

    def start_runaway(self, member: Member) -> None:
        rates = SALESFORCE_RATES if member.platform == "salesforce" else HUBSPOT_RATES
        _set_rate(member, member.runaway_name, rates["runaway"])
        member.runaway_until_braked = True
        member.runaways += 1

    def fix_braked_runaways(self) -> None:
        """A runaway the brake stopped is fixed by its owner before the release: a flow as
        Salesforce has it done (a new version saved), so the release sees the rework and
        puts it back instead of holding it (release/hold.py)."""
        for member in self.members:
            if member.runaway_until_braked and not member.is_on(member.runaway_name):
                rates = SALESFORCE_RATES if member.platform == "salesforce" else HUBSPOT_RATES
                if member.platform == "salesforce":
                    records = records_costing(rates["automation"])
                    member.org.rework_flow(member.runaway_name, records)
                else:
                    _set_rate(member, member.runaway_name, rates["automation"])
                member.runaway_until_braked = False

    def pick(self, rng: random.Random) -> Member:
        return rng.choice(self.members)


def _set_rate(member: Member, name: str, calls_per_hour: float) -> None:
    """The automation drives `calls_per_hour`: a flow through the connector syncing its
    changes, a workflow through its custom code (one call per enrolment)."""
    if member.platform == "salesforce":
        member.org.set_flow_rate(name, records_costing(calls_per_hour))
    else:
        member.org.set_workflow_rate(name, calls_per_hour)


def _secret_and_connection(
    stack: LocalStack, cid: str, platform: str, secret: dict[str, Any]
) -> None:
    secret_id = f"apibrake/{cid}"
    stack.aws.create_secret(secret_id, secret)
    stack.connections.put(Connection(connection_id=cid, platform=platform, secret_id=secret_id))


def _salesforce(stack: LocalStack, sandbox: Sandbox, cid: str) -> Member:
    org = sandbox.salesforce
    rate = SALESFORCE_RATES["automation"]
    flows = [f"Rollup_{n}" for n in (1, 2)]
    for name in flows:
        org.add_flow(name, versions=2, records_per_hour=records_costing(rate))
    org.add_flow("Outside_Flow", records_per_hour=records_costing(rate))
    org.add_scheduled_job("Nightly Sync", cron="0 0 2 * * ?", apex_class="RollupJob")
    settings = org.settings
    _secret_and_connection(
        stack,
        cid,
        "salesforce",
        {
            "auth": "client_credentials",
            "instance_url": sandbox.salesforce_url,
            "client_id": settings.client_id,
            "client_secret": settings.client_secret,
        },
    )
    names = [*flows, "Nightly Sync"]
    stack.allow(cid, *(f"flow:{name}" for name in flows), "scheduled_apex:Nightly Sync")
    return Member(cid, "salesforce", sandbox, names, "Outside_Flow", flows[0])


def _hubspot(stack: LocalStack, sandbox: Sandbox, cid: str) -> Member:
    portal = sandbox.hubspot
    rate = HUBSPOT_RATES["automation"]
    ids = [
        portal.add_workflow(f"Workflow {n}", enrolments_per_hour=rate, custom_code_calls=1)["id"]
        for n in (1, 2)
    ]
    outside = portal.add_workflow(
        "Outside workflow", enrolments_per_hour=rate / 2, custom_code_calls=1
    )["id"]
    _secret_and_connection(
        stack,
        cid,
        "hubspot",
        {"auth": "token", "base_url": sandbox.hubspot_url, "access_token": portal.settings.token},
    )
    stack.allow(cid, *(f"workflow:{flow_id}" for flow_id in ids))
    return Member(cid, "hubspot", sandbox, ids, outside, ids[0])
