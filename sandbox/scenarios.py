"""Named starting states for the sandbox: what `--scenario` loads and the drill builds on."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sandbox.server import Sandbox


def quiet(sandbox: Sandbox) -> None:
    """A small org and portal with a few automations and light background traffic."""
    sf, hs = sandbox.salesforce, sandbox.hubspot
    sf.add_flow("Account_Revenue_Rollup", versions=3, active_version=3)
    sf.add_flow("Lead_Assignment_Process", versions=2, active_version=2, process_type="Workflow")
    sf.add_scheduled_job("Nightly Opportunity Sync", cron="0 0 2 * * ?", apex_class="OppSyncJob")
    hs.add_workflow("Lifecycle stage sync", flow_id="101", enabled=True)
    sf.set_background_rate(200)
    hs.set_background_rate(1_000)


def runaway_rollups(sandbox: Sandbox) -> None:
    """The seed incident: four hourly rollup flows and a chatty workflow burn the day's calls."""
    sf, hs = sandbox.salesforce, sandbox.hubspot
    for name in ("Account", "Opportunity", "Contact", "Case"):
        sf.add_flow(
            f"{name}_Rollup_Hourly",
            versions=4,
            active_version=3,
            trigger_type="Scheduled",
            calls_per_run=900,
            run_every_minutes=60,
        )
    sf.add_flow("Lead_Assignment_Process", versions=2, active_version=2, process_type="Workflow")
    sf.add_scheduled_job(
        "Hourly Territory Recalc",
        cron="0 0 * * * ?",
        apex_class="TerritoryRecalcJob",
        calls_per_hour=300,
    )
    hs.add_workflow("Chatty contact enrichment", flow_id="2001", enabled=True, calls_per_hour=9_000)
    hs.add_workflow("Welcome series", flow_id="2002", enabled=True)
    sf.set_background_rate(250)
    hs.set_background_rate(2_500)


SCENARIOS: dict[str, Callable[[Sandbox], None]] = {
    "quiet": quiet,
    "runaway-rollups": runaway_rollups,
}
