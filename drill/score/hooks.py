"""What happens to a scenario's platforms while it runs: spikes, a cross-platform link,
wobbling traffic, a runaway that starts between two checks, a flow that runs for a while
and stops, faults while braking, an owner who fixes the culprit once it is braked, an
owner who releases the held culprit unchanged.

A hook object is made fresh for every run; `on_tick` runs every simulated minute before
the checks, `before_brake` right before incident_responder runs. A hook that starts the
scenario's burn itself remembers when (`burn_start`), for the minutes-to-first-alert column.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from drill.score.recorder import RecordingStack
from drill.stack import LocalStack
from sandbox.faults import Fault, FaultKind
from sandbox.server import Sandbox

TICK = timedelta(minutes=1)


class Hooks:
    started_at: datetime | None = None  # set by hooks that start the burn themselves

    def on_tick(self, stack: LocalStack) -> None:
        """Called every TICK of simulated time."""

    def before_brake(self, stack: LocalStack) -> None:
        """Called right before each incident_responder run."""

    def burn_start(self) -> datetime | None:
        """When this hook started the scenario's burn; None: it starts none (or not yet)."""
        return self.started_at


@dataclass
class WorkflowSpike(Hooks):
    """A HubSpot workflow's enrolments jump to `enrolments_per_hour` once usage reaches
    `at_percent` (its custom code calls the portal per enrolment)."""

    flow_id: str
    at_percent: float
    enrolments_per_hour: float
    started: bool = False

    def on_tick(self, stack: LocalStack) -> None:
        portal = stack.sandbox.hubspot
        used, limit = portal.usage()
        if not self.started and used >= limit * self.at_percent / 100:
            portal.set_workflow_rate(self.flow_id, self.enrolments_per_hour)
            self.started = True
            self.started_at = stack.sandbox.clock.now()


@dataclass
class LinkedSync(Hooks):
    """A running HubSpot workflow's Salesforce actions are written by the connector (the
    sandbox wires that), and each write fires a record-triggered Salesforce flow whose own
    changes the connector syncs back: the flow changes records only while the workflow
    runs."""

    flow_id: str
    triggered_flow: str
    triggered_records_per_hour: float

    def on_tick(self, stack: LocalStack) -> None:
        sandbox = stack.sandbox
        running = sandbox.hubspot.workflow(self.flow_id)["isEnabled"]
        rate = self.triggered_records_per_hour if running else 0.0
        if sandbox.salesforce.flow(self.triggered_flow).records_per_hour != rate:
            sandbox.salesforce.set_flow_rate(self.triggered_flow, rate)


@dataclass
class WobblingTraffic(Hooks):
    """Other apps' traffic switches between two rates every `period`: usage creeps up to
    the brake threshold in fits and starts, and keeps hovering there."""

    rates: tuple[float, float]
    period: timedelta = timedelta(minutes=10)
    _elapsed: timedelta = timedelta(0)

    def on_tick(self, stack: LocalStack) -> None:
        self._elapsed += TICK
        phase = int(self._elapsed / self.period) % 2
        stack.sandbox.hubspot.set_background_rate(self.rates[phase])


@dataclass
class RunawayStartsAfter(Hooks):
    """An admin activates a mass-update flow `after` the start: right after a check."""

    flow: str
    after: timedelta
    _elapsed: timedelta = timedelta(0)
    started: bool = False

    def on_tick(self, stack: LocalStack) -> None:
        self._elapsed += TICK
        if not self.started and self._elapsed >= self.after:
            stack.sandbox.salesforce.activate_flow_by_hand(self.flow, 1)
            self.started = True
            self.started_at = stack.sandbox.clock.now()


@dataclass
class FlowRunsFor(Hooks):
    """A person activates a flow `after` the start and deactivates it `lasts` later: a
    burst or a batch that finishes on its own."""

    flow: str
    after: timedelta
    lasts: timedelta
    _elapsed: timedelta = timedelta(0)
    stopped: bool = False

    def on_tick(self, stack: LocalStack) -> None:
        self._elapsed += TICK
        org = stack.sandbox.salesforce
        if self.started_at is None and self._elapsed >= self.after:
            org.activate_flow_by_hand(self.flow, 1)
            self.started_at = stack.sandbox.clock.now()
        elif not self.stopped and self._elapsed >= self.after + self.lasts:
            org.activate_flow_by_hand(self.flow, None)
            self.stopped = True


@dataclass
class FaultsWhileBraking(Hooks):
    """Burst 429s and a 503 hit the platform exactly while the brake runs."""

    spike: Hooks

    def on_tick(self, stack: LocalStack) -> None:
        self.spike.on_tick(stack)

    def burn_start(self) -> datetime | None:
        return self.spike.burn_start()

    def before_brake(self, stack: LocalStack) -> None:
        server = stack.sandbox.hubspot_server
        server.faults.add(Fault(FaultKind.BURST_LIMIT, path=r"/automation/[^/]+/flows", times=3))
        server.faults.add(
            Fault(FaultKind.STATUS, path=r"/automation/[^/]+/flows/", method="PUT", status=503)
        )
        server.faults.add(Fault(FaultKind.BURST_LIMIT, path=r"/automation/[^/]+/flows", skip=2))


@dataclass
class OwnerFixesOnceBraked(Hooks):
    """Once a brake has stopped something, the owner fixes the culprit the alert named
    (slows it to a sane pace), so the release brings back a healthy automation or
    integration instead of the runaway."""

    fix: Callable[[Sandbox], None]
    fixed: bool = False

    def on_tick(self, stack: LocalStack) -> None:
        if self.fixed or not isinstance(stack, RecordingStack):
            return
        if any(
            row.get("status") == "braked"
            for brake in stack.recording.brakes
            for row in brake.report.get("rows", [])
        ):
            self.fix(stack.sandbox)
            self.fixed = True


@dataclass
class OwnerReleasesHeldUnchanged(Hooks):
    """The release holds the driver of the burn (unchanged since the brake) and prints the
    command that releases it; its owner runs that command without fixing anything, so the
    same automation comes back as it was and burns again."""

    released: bool = False

    def on_tick(self, stack: LocalStack) -> None:
        if self.released or not isinstance(stack, RecordingStack):
            return
        for record in stack.recording.releases:
            for row in record.report.get("rows", []):
                if row.get("status") == "held":
                    incident_id, automation = held_release_command(str(row.get("error")))
                    stack.release_incident(incident_id, include=[automation])
                    self.released = True
                    return


def held_release_command(error: str) -> tuple[str, str]:
    """The incident and the automation of the command a held row prints
    (`apibrake release --incident ID --include KIND:NAME`, between backticks)."""
    argv = shlex.split(error.split("`")[1])
    return argv[argv.index("--incident") + 1], argv[argv.index("--include") + 1]


@dataclass
class Together(Hooks):
    """Several hooks in one run: the first one's burn start is the scenario's."""

    first: Hooks
    others: tuple[Hooks, ...]

    def on_tick(self, stack: LocalStack) -> None:
        for hook in (self.first, *self.others):
            hook.on_tick(stack)

    def before_brake(self, stack: LocalStack) -> None:
        for hook in (self.first, *self.others):
            hook.before_brake(stack)

    def burn_start(self) -> datetime | None:
        return self.first.burn_start()
