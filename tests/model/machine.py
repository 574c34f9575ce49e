"""A hypothesis state machine over the whole loop: the real handlers, local AWS, the sandbox.

Each rule is one thing that happens in a deployment (time passes, the monitor ticks, a
runaway burns calls, an operator brakes or releases, a human edits an automation, a fault
hits the platform, Lambda cuts an invocation off, two invocations overlap); after every
rule the invariants in `invariants.py` hold. A failure prints the shrunk history as the
calls below, e.g. `state.usage_jumps(connection='hs-1', percent=96)`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from localaws import LocalAws
from sandbox.faults import FaultKind
from tests.model import invariants
from tests.model.hang import wall_clock_limit
from tests.model.world import FLOWS, HS, JOB, SF, Killed, World

CONNECTIONS = st.sampled_from([SF, HS])
ONE_OR_ALL = st.sampled_from([SF, HS, "all"])
MINUTES = st.sampled_from([1, 5, 15, 60, 6 * 60, 25 * 60])
PERCENTS = st.sampled_from([50, 75, 85, 92, 97, 101])
# Every fault the sandbox has but latency (no fault of its own), as plain strings so the
# printed history reads `fault='applied_lost'`.
PLATFORM_FAULTS = st.sampled_from([k.value for k in FaultKind if k is not FaultKind.LATENCY])
INVOCATIONS = st.sampled_from(["monitor", "brake", "release", "scheduled_release"])
PAIRS = st.sampled_from(
    [
        ("monitor", "brake"),
        ("brake", "brake"),
        ("release", "scheduled_release"),
        ("release", "release"),
        ("brake", "release"),
    ]
)
HUMAN_EDITS = st.sampled_from(
    [
        "re-activate flow Rollup_A",
        "activate version 1 of flow Rollup_B",
        "re-enable workflow 0",
        "rename workflow 1",
        "abort job by hand",
    ]
)
ALLOWLIST_CHANGES = st.sampled_from(
    [
        "add the outside flow",
        "remove flow Rollup_A",
        "add the outside workflow",
        "remove workflow 0",
    ]
)


class LoopMachine(RuleBasedStateMachine):
    """Subclassed per session with the session's moto server (see `machine_for`)."""

    local_aws: LocalAws

    def __init__(self) -> None:
        super().__init__()
        self.world = World(self.local_aws)
        self.checked_logs = 0

    def teardown(self) -> None:
        try:
            invariants.no_secret_anywhere(self.world, tables=True)
            _tally(self.world)
        finally:
            self.world.close()

    # helpers --------------------------------------------------------------------------------

    def _incident(self, pick: int) -> str | None:
        ids = sorted(meta.incident_id for meta in self.world.incidents())
        return ids[pick % len(ids)] if ids else None

    def _invoke(self, which: str, pick: int, context: Any = None) -> None:
        world = self.world
        if which == "monitor":
            world.tick()
        elif which == "brake":
            world.brake(context=context, connection_id=[SF, HS][pick % 2], reason="model")
        elif which == "scheduled_release":
            world.release_recovered(context)
        else:
            incident_id = self._incident(pick)
            if incident_id is not None:
                world.release(incident_id, context, force=bool(pick % 2))
        world.collect_alerts()

    # rules ----------------------------------------------------------------------------------

    @rule(minutes=MINUTES)
    def time_passes(self, minutes: int) -> None:
        self.world.advance(minutes)

    @rule()
    def monitor_ticks(self) -> None:
        self.world.tick()

    @rule(connection=CONNECTIONS, percent=PERCENTS)
    def usage_jumps(self, connection: str, percent: int) -> None:
        self.world.use_up_to(connection, percent)

    @rule(connection=ONE_OR_ALL, dry_run=st.booleans(), tier=st.sampled_from([1, 2]))
    def manual_brake(self, connection: str, dry_run: bool, tier: int) -> None:
        target = {} if connection == "all" else {"connection_id": connection}
        self.world.brake(dry_run=dry_run, tier=tier, reason="operator", **target)
        self.world.collect_alerts()

    @rule(pick=st.integers(0, 3), force=st.booleans(), dry_run=st.booleans())
    def manual_release(self, pick: int, force: bool, dry_run: bool) -> None:
        incident_id = self._incident(pick)
        if incident_id is not None:
            self.world.release(incident_id, force=force, dry_run=dry_run)
            self.world.collect_alerts()

    @rule()
    def scheduled_release(self) -> None:
        self.world.release_recovered()
        self.world.collect_alerts()

    @rule(edit=HUMAN_EDITS)
    def human_edits(self, edit: str) -> None:
        org, portal = self.world.sandbox.salesforce, self.world.sandbox.hubspot
        workflows = self.world.workflows
        if edit == "re-activate flow Rollup_A":
            org.activate_flow_by_hand(FLOWS[0], 2)
        elif edit == "activate version 1 of flow Rollup_B":
            org.activate_flow_by_hand(FLOWS[1], 1)
        elif edit == "re-enable workflow 0":
            portal.edit_workflow_by_hand(workflows[0], isEnabled=True)
        elif edit == "rename workflow 1":
            portal.edit_workflow_by_hand(workflows[1], name="Renamed by a human")
        elif org.job(JOB) is not None:
            org.abort_job_by_hand(JOB)

    @rule(change=ALLOWLIST_CHANGES)
    def allowlist_changes(self, change: str) -> None:
        world = self.world
        if change == "add the outside flow":
            world.allow(SF, "flow:Outside_Flow")
        elif change == "remove flow Rollup_A":
            world.disallow(SF, f"flow:{FLOWS[0]}")
        elif change == "add the outside workflow":
            world.allow(HS, f"workflow:{world.workflows[2]}")
        else:
            world.disallow(HS, f"workflow:{world.workflows[0]}")

    @rule(connection=CONNECTIONS, enabled=st.booleans())
    def connection_enabled(self, connection: str, enabled: bool) -> None:
        self.world.set_enabled(connection, enabled)

    @rule(connection=CONNECTIONS, fault=PLATFORM_FAULTS, times=st.integers(1, 4))
    def fault_armed(self, connection: str, fault: str, times: int) -> None:
        self.world.arm(connection, FaultKind(fault), times)

    @rule(
        which=INVOCATIONS,
        pick=st.integers(0, 3),
        cut=st.sampled_from(["deadline", "crash before", "crash after"]),
        at=st.integers(1, 25),
    )
    def invocation_cut_off_and_retried(self, which: str, pick: int, cut: str, at: int) -> None:
        world = self.world
        if cut == "deadline":
            self._invoke(which, pick, world.deadline_after(at))
        else:
            world.crash_at(at, after=cut == "crash after")
            try:
                self._invoke(which, pick)
            except Killed:
                world.after_crash()
        world.clear_crash()
        self._invoke(which, pick)  # the retry (or the next scheduled run)

    @rule(pair=PAIRS, pick=st.integers(0, 3))
    def two_invocations_at_once(self, pair: tuple[str, str], pick: int) -> None:
        failures: list[BaseException] = []

        def run(which: str, offset: int) -> Callable[[], None]:
            def go() -> None:
                try:
                    self._invoke(which, pick + offset)
                except BaseException as error:  # re-raised in the rule's thread
                    failures.append(error)

            return go

        threads = [threading.Thread(target=run(w, n), daemon=True) for n, w in enumerate(pair)]
        with wall_clock_limit():
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        if failures:
            raise failures[0]

    @precondition(lambda self: bool(self.world.incidents()))
    @rule()
    def all_quiet(self) -> None:
        """Faults cleared, the window recovered, the scheduled release run: everything
        braked is back as recorded or reported needs_human with a reason."""
        world = self.world
        world.clear_faults()
        world.advance(25 * 60)
        for _ in range(3):
            world.release_recovered()
            world.advance(15)
        world.collect_alerts()
        invariants.braked_automations_back_or_reported(world)
        invariants.no_secret_anywhere(world, tables=True)

    @invariant()
    def promises_hold(self) -> None:
        invariants.after_every_step(self.world)


def machine_for(local_aws: LocalAws) -> type[LoopMachine]:
    return type("Loop", (LoopMachine,), {"local_aws": local_aws})


TALLY: dict[str, int] = {}


def _tally(world: World) -> None:
    for key, value in {
        "examples": 1,
        "incidents": len(world.incidents()),
        "api changes": len([m for m in world.sandbox.audit.entries() if m.actor == "api"]),
        "alerts": len(world.seen.alerts),
        "critical due": len(world.seen.critical_due),
    }.items():
        TALLY[key] = TALLY.get(key, 0) + value
