"""Crash safety: kill the brake and the release at every step boundary in turn, then prove
that invoking again converges to the end state of an uninterrupted run, and that release
then restores everything.

Boundaries: each journal write (killed just before it, and just after it) and each
platform change (killed just after the platform answered, before anything was recorded).
Each kill gets its own connection and automations on one stack, so the loop stays cheap.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from apibrake.brake import responder
from apibrake.deadline import Deadline
from apibrake.incident.deps import IncidentDeps
from apibrake.incident.journal import JournalStore
from apibrake.incident.records import JournalRow
from apibrake.models.events import BrakeEvent, ReleaseEvent
from apibrake.release import restorer
from apibrake.runtime import aws, container
from apibrake.runtime.assembly import incident_deps
from drill.stack import LocalStack
from tests.reliability.scenario import HUBSPOT, SALESFORCE, Scenario, statuses

AUTOMATIONS = 3
# The call that changes automations, by kind: a tooling composite, one workflow PUT each,
# one PATCH per kill switch's setting object or per user's UserLogin.
CHANGE_METHOD = {
    "flow": "tooling_composite",
    "workflow": "put_flow",
    "setting": "update_record",
    "user": "update_record",
}
KINDS = [(SALESFORCE, "flow"), (HUBSPOT, "workflow"), (SALESFORCE, "setting"), (SALESFORCE, "user")]


class Killed(SystemExit):
    """The process dies here (SystemExit: nothing in the layer may catch it)."""


@dataclass(frozen=True)
class Kill:
    where: str  # "before write" | "after write" | "after change"
    number: int  # which journal write or platform change, from 1

    def __str__(self) -> str:
        return f"{self.where} #{self.number}"


class _KillingJournal(JournalStore):
    def __init__(self, inner: JournalStore, kill: Kill) -> None:
        self.__dict__.update(inner.__dict__)
        self.kill = kill
        self.writes = 0

    def put_rows(self, incident_id: str, rows: list[JournalRow]) -> None:
        self.writes += 1
        dies = self.writes == self.kill.number
        if dies and self.kill.where == "before write":
            raise Killed(str(self.kill))
        super().put_rows(incident_id, rows)
        if dies and self.kill.where == "after write":
            raise Killed(str(self.kill))


def _killing_client(client: Any, kind: str, kill: Kill) -> Any:
    name = CHANGE_METHOD[kind]
    change = getattr(client, name)
    calls = 0

    async def change_then_die(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        answer = await change(*args, **kwargs)
        if calls == kill.number:
            raise Killed(str(kill))
        return answer

    setattr(client, name, change_then_die)
    return client


def _run_killed(stack: LocalStack, scenario: Scenario, phase: str, kill: Kill, **ids: str) -> bool:
    """Runs the phase's domain code with `kill` armed; True if it died."""

    async def run() -> None:
        async with httpx.AsyncClient() as http_client:
            deps: IncidentDeps = incident_deps(
                container.incident_settings(),
                dynamodb=stack.aws.client("dynamodb"),
                sns=stack.aws.client("sns"),
                load_secret=aws.secret_loader(),
                http_client=http_client,
                now=stack.sandbox.clock.now,
            )
            deps.concurrency = 1  # a HubSpot batch per workflow: more boundaries to kill at
            if kill.where == "after change":
                opened = deps.open_client
                deps.open_client = lambda c: _killing_client(opened(c), scenario.kind, kill)
            else:
                deps.journal = _KillingJournal(deps.journal, kill)
            if phase == "brake":
                event = BrakeEvent(action="brake", connection_id=scenario.cid, tier=scenario.tier)
                await responder.brake(event, deps, Deadline())
            else:
                request = ReleaseEvent(action="release", incident_id=ids["incident_id"], force=True)
                await restorer.release(request, deps, Deadline())

    try:
        asyncio.run(run())
    except Killed:
        return True
    return False


def _kills() -> Iterator[Kill]:
    number = 1
    while True:
        for where in ("before write", "after write", "after change"):
            yield Kill(where, number)
        number += 1


def _end_state(scenario: Scenario, incident_id: str) -> dict[str, Any]:
    """What an uninterrupted run leaves, independent of ids: per automation (in order) its
    platform state and its journal row's brake, release and recorded prior state."""
    rows = scenario.journal(incident_id)
    meta = scenario.stack.journal.meta(incident_id)
    assert meta is not None
    return {
        "status": meta.status,
        "rows": [
            (
                scenario.is_on(name),
                rows[name].brake.value,
                rows[name].release.value if rows[name].release else None,
                _recorded(rows[name].before or {}),
            )
            for name in scenario.names
        ],
    }


def _recorded(before: dict[str, Any]) -> Any:
    """The prior state a row journals, whichever the kind."""
    for key in ("active_version", "isEnabled", "value", "frozen"):
        if key in before:
            return before[key]
    return None


@pytest.mark.slow
@pytest.mark.parametrize(("platform", "kind"), KINDS)
def test_brake_killed_at_every_boundary_converges(
    stack: LocalStack, platform: str, kind: str, reliability_note: Callable[[str], None]
) -> None:
    reference = Scenario(stack, platform, connection_id="ref", automations=AUTOMATIONS, kind=kind)
    reference_id = reference.braked()
    braked_state = _end_state(reference, reference_id)
    reference.release(reference_id)
    released_state = _end_state(reference, reference_id)
    killed_at: list[str] = []
    for number, kill in enumerate(_kills()):
        scenario = Scenario(
            stack, platform, connection_id=f"k{number}", automations=AUTOMATIONS, kind=kind
        )
        if not _run_killed(stack, scenario, "brake", kill):
            if kill.where == "after write":
                break  # past the last journal write: every boundary was tried
            continue
        killed_at.append(str(kill))
        # When the brake is invoked again it resumes: same end state, nothing changed twice
        resumed = scenario.brake()
        assert set(statuses(resumed).values()) == {"braked"}, (kill, resumed)
        incident_id = resumed["incident_id"]
        assert _end_state(scenario, incident_id) == braked_state, kill
        assert len(scenario.mutations()) == AUTOMATIONS, kill
        # And release restores everything from the journal
        released = scenario.release(incident_id)
        assert set(statuses(released).values()) == {"released"}, (kill, released)
        assert _end_state(scenario, incident_id) == released_state, kill
        assert len(scenario.mutations()) == 2 * AUTOMATIONS, kill
    assert len(killed_at) >= 5, killed_at
    reliability_note(
        f"crash safety, brake {platform} {kind}: converged after a kill at each of "
        f"{len(killed_at)} boundaries: {', '.join(killed_at)}"
    )


@pytest.mark.slow
@pytest.mark.parametrize(("platform", "kind"), KINDS)
def test_release_killed_at_every_boundary_converges(
    stack: LocalStack, platform: str, kind: str, reliability_note: Callable[[str], None]
) -> None:
    reference = Scenario(stack, platform, connection_id="ref", automations=AUTOMATIONS, kind=kind)
    reference_id = reference.braked()
    reference.release(reference_id)
    released_state = _end_state(reference, reference_id)
    killed_at: list[str] = []
    for number, kill in enumerate(_kills()):
        scenario = Scenario(
            stack, platform, connection_id=f"k{number}", automations=AUTOMATIONS, kind=kind
        )
        incident_id = scenario.braked()
        if not _run_killed(stack, scenario, "release", kill, incident_id=incident_id):
            if kill.where == "after write":
                break
            continue
        killed_at.append(str(kill))
        # The next release resumes from the journal and puts back exactly what was braked
        released = scenario.release(incident_id)
        assert set(statuses(released).values()) == {"released"}, (kill, released)
        assert _end_state(scenario, incident_id) == released_state, kill
        assert len(scenario.mutations()) == 2 * AUTOMATIONS, kill
    assert len(killed_at) >= 4, killed_at
    reliability_note(
        f"crash safety, release {platform} {kind}: converged after a kill at each of "
        f"{len(killed_at)} boundaries: {', '.join(killed_at)}"
    )
