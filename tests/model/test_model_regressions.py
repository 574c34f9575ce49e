"""Histories the state machine once failed on, replayed step by step (shrunk, as printed).

Add each new one as it was printed: `state = Loop()` becomes `state = machine_for(...)()`,
and `state.promises_hold()` after each step keeps the invariants checked where they were.
"""

from __future__ import annotations

from localaws import LocalAws
from tests.model.machine import machine_for


def test_an_alert_read_after_a_crash_is_dated_when_it_was_sent(
    local_aws: LocalAws, function_env: None, fast_retries: None
) -> None:
    # Found by the first fast run: a monitor crash after its check published the critical
    # alert; the world dated the alert when it read the inbox, after the retry's minute, so
    # "every critical reading alerted in its window" looked broken. A harness bug (alerts
    # are now read before the clock moves), kept so the replay format stays exercised.
    state = machine_for(local_aws)()
    try:
        state.monitor_ticks()
        state.invocation_cut_off_and_retried(at=1, cut="deadline", pick=1, which="brake")
        state.promises_hold()
        state.manual_brake(connection="all", dry_run=False, tier=1)
        state.promises_hold()
        state.fault_armed(connection="hs-1", fault="daily_limit", times=1)
        state.usage_jumps(connection="sf-1", percent=92)
        state.time_passes(minutes=60)
        state.scheduled_release()
        state.promises_hold()
        state.allowlist_changes(change="remove flow Rollup_A")
        state.invocation_cut_off_and_retried(at=17, cut="crash after", pick=3, which="monitor")
        state.promises_hold()
        state.all_quiet()
        state.promises_hold()
    finally:
        state.teardown()
