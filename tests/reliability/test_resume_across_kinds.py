"""One resume rule, over the wire: the same double crash ends the same for every kind.

The brake dies just after its first change (the journal still says pending), then the
release dies just after its own first change, then the release is invoked again. Every kind
must report each journalled automation released, changed once each way, and back on.
(Before incident/resume.py a flow reported "nothing to restore" here while a kill switch
reported "released".)
"""

from __future__ import annotations

import pytest

from drill.stack import LocalStack
from tests.reliability.scenario import Scenario, statuses
from tests.reliability.test_crash_safety import KINDS, Kill, _run_killed

AUTOMATIONS = 2


@pytest.mark.parametrize(("platform", "kind"), KINDS)
def test_brake_and_release_both_killed_after_their_change_end_released(
    stack: LocalStack, platform: str, kind: str
) -> None:
    # Given a brake killed just after its first platform change
    scenario = Scenario(stack, platform, connection_id="twice", automations=AUTOMATIONS, kind=kind)
    assert _run_killed(stack, scenario, "brake", Kill("after change", 1))
    incident_id = stack.journal.open_incident_id(scenario.cid)
    assert incident_id is not None
    journalled = set(scenario.journal(incident_id))
    assert journalled
    # And a release killed just after its first platform change
    assert _run_killed(stack, scenario, "release", Kill("after change", 1), incident_id=incident_id)
    # When the release is invoked again
    released = scenario.release(incident_id)
    # Then every journalled automation is released, on, and was changed once each way
    assert statuses(released) == dict.fromkeys(journalled, "released"), released
    assert all(scenario.is_on(name) for name in scenario.names)
    assert len(scenario.mutations()) == 2 * len(journalled)
