"""The chain's lines, as every alert, summary and chat message words them: the consumer that
spends the calls (its share, the data's window) and the drivers behind it, each with what the
brake does about it, at most three of each and "+N more".

Units are said as they are: calls where calls are known, "runs, not calls" where only a
scheduled job's runs are, records changed for record changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from apibrake.models.attribution import Consumer, Driver, DriverKind, SetupChange, Suspects

MAX_SHOWN = 3
BRAKED = "on the allowlist: the brake stops it"
LISTED = "on the allowlist"  # in a brake or release summary: the rows say what was done
NEEDS_PERSON = "not on the allowlist: needs a person"
DRIVERS = "Drivers (what changed the records it reads):"
_NOT_CALLS = {"runs": "runs, not calls", "logins": "logins, not calls"}


def when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def window(suspects: Suspects) -> str:
    """ "2026-12-07 10:00 to 11:00 UTC", or with both dates when the window spans two."""
    start, end = suspects.window_start, suspects.window_end
    if start is None or end is None:
        return ""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if start.date() == end.date():
        return f"{start:%Y-%m-%d %H:%M} to {end:%H:%M} UTC"
    return f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC"


def amount(consumer: Consumer) -> str:
    """ "82% of calls (8,200)", "8,200 calls", "24 runs (runs, not calls)"."""
    if consumer.unit == "calls" and consumer.share is not None:
        return f"{consumer.share:.0%} of calls ({consumer.calls:,})"
    said = f"{consumer.calls:,} {consumer.unit}"
    return f"{said} ({_NOT_CALLS[consumer.unit]})" if consumer.unit in _NOT_CALLS else said


def consumer_text(consumer: Consumer) -> str:
    if consumer.evidence:
        return f"{consumer.name}: {consumer.evidence}"
    return f"{consumer.name} {amount(consumer)}"


def short(consumer: Consumer) -> str:
    if consumer.evidence:
        return f"{consumer.name} ({consumer.evidence})"
    if consumer.share is not None and consumer.unit == "calls":
        return f"{consumer.name} {consumer.share:.0%}"
    return f"{consumer.name} {amount(consumer)}"


def driver_text(driver: Driver) -> str:
    if driver.kind is DriverKind.ACTIVATION and driver.at is not None:
        text = f"{driver.name} activated {when(driver.at)}"
        text += f" by {driver.who}" if driver.who else ""
    elif driver.kind is DriverKind.RECORD_CHANGES:
        text = f"{driver.name}: {driver.count or 0:,} changed by {driver.who or 'unknown user'}"
    else:
        unit = driver.unit or "runs"
        text = f"{driver.name}: {driver.count or 0:,} {unit}"
        text += f" ({_NOT_CALLS[unit]})" if unit in _NOT_CALLS else ""
    text = f"{text}, {driver.evidence}" if driver.evidence else text
    if driver.released_unchanged_at is not None:
        text += f", {burning_again(driver.released_unchanged_at)}"
    return text


def burning_again(released_at: datetime) -> str:
    """A driver released from an earlier incident although nobody had fixed it."""
    return f"released on {released_at:%Y-%m-%d} unchanged, burning again"


def change_text(change: SetupChange) -> str:
    return f"{when(change.at)} {change.who}: {change.display}"


def verdict(item: Consumer | Driver | SetupChange, braked: str = BRAKED) -> str:
    """What the brake does about it. A protected consumer keeps running; any other consumer
    and any automation off the allowlist needs a person; a record change or a setup change
    naming no automation gets none."""
    if isinstance(item, Consumer) and item.protected:
        return item.protected
    if item.allowlisted:
        return braked
    if isinstance(item, Consumer) or item.automation is not None or item.allowlisted is False:
        return NEEDS_PERSON
    return ""


def with_verdict(text: str, item: Consumer | Driver | SetupChange, braked: str = BRAKED) -> str:
    said = verdict(item, braked)
    return f"{text} - {said}" if said else text


def more(shown: Sequence[object], total: int) -> list[str]:
    return [f"+{total - len(shown)} more"] if total > len(shown) else []


def consumer_lines(suspects: Suspects, braked: str = BRAKED) -> list[str]:
    """ "Consumer: …", then "Also: …" for the next ones, "+N more" past three."""
    if not suspects.consumers:
        return []
    top, *rest = suspects.consumers
    span = window(suspects)
    said = consumer_text(top) + (f", {span}" if span and not top.evidence else "")
    lines = [f"Consumer: {with_verdict(said, top, braked)}"]
    shown = rest[: MAX_SHOWN - 1]
    lines += [f"Also: {with_verdict(consumer_text(c), c, braked)}" for c in shown]
    return lines + more([top, *shown], len(suspects.consumers))


def driver_lines(suspects: Suspects, braked: str = BRAKED) -> list[str]:
    if not suspects.drivers:
        return []
    shown = suspects.drivers[:MAX_SHOWN]
    lines = [DRIVERS]
    lines += [
        f"  {rank}. {with_verdict(driver_text(driver), driver, braked)}"
        for rank, driver in enumerate(shown, start=1)
    ]
    return lines + [f"  {line}" for line in more(shown, len(suspects.drivers))]


def other_changes(suspects: Suspects) -> list[SetupChange]:
    """Setup changes not already told as an activation driver."""
    told = {(d.at, d.who) for d in suspects.drivers if d.kind is DriverKind.ACTIVATION}
    return [
        change
        for change in suspects.changes
        if (change.at, change.who) not in told
        or not change.action.lower().startswith("activatedinteractiondef")
    ]


def drivers_line(suspects: Suspects, braked: str = BRAKED) -> str:
    """The drivers in one line, for chat: "Drivers: a; b; +1 more"."""
    shown = suspects.drivers[:MAX_SHOWN]
    if not shown:
        return ""
    named = [with_verdict(driver_text(driver), driver, braked) for driver in shown]
    return "Drivers: " + "; ".join(named + more(shown, len(suspects.drivers)))
