"""Histories the state machine once failed on, replayed step by step (shrunk, as printed).

Add each new one as it was printed: `state = Loop()` becomes `state = machine_for(...)()`,
and `state.promises_hold()` after each step keeps the invariants checked where they were.
"""

from __future__ import annotations

from typing import Any

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


def _calm_then_hubspot_at_97(state: Any) -> None:
    """The start both issue-27 histories share: Salesforce off, calm ticks, HubSpot at 97 %."""
    state.connection_enabled(connection="sf-1", enabled=False)
    state.promises_hold()
    state.manual_release(dry_run=False, force=False, pick=0)
    state.promises_hold()
    for _ in range(5):
        state.monitor_ticks()
        state.promises_hold()
    state.scheduled_release()
    state.promises_hold()
    state.usage_jumps(connection="hs-1", percent=97)
    state.promises_hold()


def test_an_alert_claimed_by_a_cut_off_monitor_still_goes_out(
    local_aws: LocalAws, function_env: None, fast_retries: None
) -> None:
    # Issue 27, deep profile: a monitor cut off after its 8th DynamoDB call had taken the
    # critical alert's claim but never published; the claim kept every later tick quiet.
    state = machine_for(local_aws)()
    try:
        _calm_then_hubspot_at_97(state)
        state.scheduled_release()
        state.promises_hold()
        state.scheduled_release()
        state.promises_hold()
        state.manual_release(dry_run=False, force=False, pick=0)
        state.promises_hold()
        state.manual_brake(connection="sf-1", dry_run=False, tier=1)
        state.promises_hold()
        state.fault_armed(connection="sf-1", fault="status", times=1)
        state.promises_hold()
        state.invocation_cut_off_and_retried(at=8, cut="crash after", pick=0, which="monitor")
        state.promises_hold()
    finally:
        state.teardown()


def test_one_critical_alert_per_window_under_crashes_and_concurrent_brakes(
    local_aws: LocalAws, function_env: None, fast_retries: None
) -> None:
    # Issue 27, deep profile: "hs-1: 2 brake_threshold alerts in one window".
    state = machine_for(local_aws)()
    try:
        _calm_then_hubspot_at_97(state)
        state.monitor_ticks()
        state.promises_hold()
        state.time_passes(minutes=360)
        state.promises_hold()
        state.human_edits(edit="rename workflow 1")
        state.promises_hold()
        state.human_edits(edit="activate version 1 of flow Rollup_B")
        state.promises_hold()
        state.two_invocations_at_once(pair=("brake", "brake"), pick=3)
        state.promises_hold()
        state.human_edits(edit="activate version 1 of flow Rollup_B")
        state.promises_hold()
        state.usage_jumps(connection="hs-1", percent=75)
        state.promises_hold()
        state.usage_jumps(connection="hs-1", percent=92)
        state.promises_hold()
        state.fault_armed(connection="hs-1", fault="html_error", times=1)
        state.promises_hold()
        state.manual_brake(connection="hs-1", dry_run=True, tier=1)
        state.promises_hold()
        state.monitor_ticks()
        state.promises_hold()
        state.invocation_cut_off_and_retried(at=7, cut="crash after", pick=3, which="brake")
        state.promises_hold()
        state.two_invocations_at_once(pair=("release", "release"), pick=2)
        state.promises_hold()
        state.usage_jumps(connection="sf-1", percent=101)
        state.promises_hold()
        state.invocation_cut_off_and_retried(
            at=2, cut="crash before", pick=3, which="scheduled_release"
        )
        state.promises_hold()
        state.monitor_ticks()
        state.promises_hold()
    finally:
        state.teardown()


def test_an_alert_whose_claims_were_half_confirmed_is_not_sent_twice(
    local_aws: LocalAws, function_env: None, fast_retries: None
) -> None:
    # Issue 27, the deep profile on the merged tree: the critical alert (with two warnings
    # mentioned) was published, the process died after confirming two of its three claims,
    # and the lapsed third sent the alert again a minute later. Claims are now confirmed
    # in one transaction.
    state = machine_for(local_aws)()
    try:
        state.promises_hold()
        state.monitor_ticks()
        state.promises_hold()
        state.monitor_ticks()
        state.promises_hold()
        state.monitor_ticks()
        state.promises_hold()
        state.allowlist_changes(change="add the outside flow")
        state.promises_hold()
        state.monitor_ticks()
        state.promises_hold()
        state.manual_release(dry_run=True, force=True, pick=0)
        state.promises_hold()
        state.usage_jumps(connection="hs-1", percent=50)
        state.promises_hold()
        state.invocation_cut_off_and_retried(
            at=24, cut="deadline", pick=2, which="scheduled_release"
        )
        state.promises_hold()
        state.time_passes(minutes=360)
        state.promises_hold()
        state.connection_enabled(connection="sf-1", enabled=True)
        state.promises_hold()
        state.time_passes(minutes=360)
        state.promises_hold()
        state.manual_brake(connection="all", dry_run=True, tier=1)
        state.promises_hold()
        state.two_invocations_at_once(pair=("monitor", "brake"), pick=1)
        state.promises_hold()
        state.time_passes(minutes=1)
        state.promises_hold()
        state.two_invocations_at_once(pair=("monitor", "brake"), pick=0)
        state.promises_hold()
        state.monitor_ticks()
        state.promises_hold()
        state.all_quiet()
        state.promises_hold()
        state.allowlist_changes(change="remove flow Rollup_A")
        state.promises_hold()
        state.time_passes(minutes=1500)
        state.promises_hold()
        state.time_passes(minutes=5)
        state.promises_hold()
        state.monitor_ticks()
        state.promises_hold()
        state.monitor_ticks()
        state.promises_hold()
        state.usage_jumps(connection="sf-1", percent=92)
        state.promises_hold()
        state.invocation_cut_off_and_retried(at=18, cut="crash after", pick=0, which="monitor")
        state.promises_hold()
    finally:
        state.teardown()


def test_an_org_past_its_limit_is_braked_through_the_glass_with_its_row_journalled_first(
    local_aws: LocalAws, function_env: None, fast_retries: None
) -> None:
    # Found by the deep profile (seed-free shrink, December 2026): at 101 % REST is refused,
    # the monitor brakes the scheduled job through the break-glass channel, whose row is
    # journalled `glass_pending` before the block and gets its prior state from the block's
    # log. The world's "row before change" check only knew REST's order (prior state first).
    state = machine_for(local_aws)()
    try:
        state.promises_hold()
        state.usage_jumps(connection="sf-1", percent=101)
        state.promises_hold()
        state.monitor_ticks()
        state.promises_hold()
        state.all_quiet()
        state.promises_hold()
    finally:
        state.teardown()
