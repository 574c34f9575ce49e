"""Starting states of the score scenarios where no brake is due: an org whose usage rises
and stops on its own, and one that is simply calm. (The runaway ones live in
sandbox/scenarios.py.)"""

from __future__ import annotations

from datetime import timedelta

from sandbox.salesforce.connector import records_costing
from sandbox.server import Sandbox


def _yesterday(sandbox: Sandbox, calls: int, hours: int) -> None:
    """`calls` made evenly over the last `hours`, still inside the org's rolling 24 hours."""
    now = sandbox.clock.now()
    for hour in range(1, hours + 1):
        sandbox.salesforce.add_usage(calls // hours, at=now - timedelta(hours=hour))


def short_burst(sandbox: Sandbox) -> None:
    """An org at 72 % and a data-load flow, off until a person switches it on for a few
    minutes (the score's hook does)."""
    sf = sandbox.salesforce
    sf.add_flow(
        "Lead_Import_Dedupe",
        active_version=None,
        records_per_hour=records_costing(70_000),
        changes_object="Lead",
    )
    sf.set_background_rate(500)
    _yesterday(sandbox, 72_000, 20)


def daily_batch(sandbox: Sandbox) -> None:
    """An org at 54.5 % and a nightly batch flow, off until it starts (the hook starts it
    and stops it two hours later, at about 85 %)."""
    sf = sandbox.salesforce
    sf.add_flow(
        "Nightly_Account_Batch",
        trigger_type="Scheduled",
        active_version=None,
        records_per_hour=records_costing(15_000),
    )
    sf.set_background_rate(300)
    _yesterday(sandbox, 54_500, 20)


def calm_hourly_rollup(sandbox: Sandbox) -> None:
    """A healthy org: an hourly rollup whose changes cost the connector 1,500 calls a run,
    plus 1,000 calls an hour of other traffic, about 60 % of the limit all day, below every
    warning."""
    sf = sandbox.salesforce
    sf.add_flow(
        "Account_Rollup_Hourly",
        trigger_type="Scheduled",
        records_per_run=int(records_costing(1_500)),
        run_every_minutes=60,
    )
    sf.set_background_rate(1_000)
    _yesterday(sandbox, 2_500 * 23, 23)
