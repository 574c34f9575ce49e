"""The Suspects section of an alert, told as a chain: the consumer that spends the calls and
the drivers behind it, and for each whether the brake stops it (on the allowlist), a person
must, or it keeps running (a protected consumer: stop what feeds it).

Short on purpose: three consumers and three drivers at most ("+N more"), the source and the
age of its data named, so a person can judge how far to trust it. Nothing is said when
attribution did not run; when it ran and knew nothing, one line says why (its notes) or
which source to turn on. A source is named only when there is one: never "from the none".
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from apibrake.attribution import keep_running
from apibrake.models.attribution import AttributionSource, Suspects
from apibrake.models.protected import NOTHING_PROTECTED, ProtectedConsumers
from apibrake.warn.chain import (
    BRAKED,
    LISTED,
    MAX_SHOWN,
    NEEDS_PERSON,
    change_text,
    consumer_lines,
    driver_lines,
    drivers_line,
    other_changes,
    short,
    when,
    with_verdict,
)

__all__ = ["BRAKED", "LISTED", "NEEDS_PERSON", "when"]

NO_RANKING = "no source ranked the consumers yet."
# Said when a Salesforce connection's sources knew nothing and gave no reason of their own.
ENABLE_EVENT_LOGS = (
    "no source could name them. Turn on Setup > Event Monitoring Settings > Generate event "
    "log files (free, kept one day) so the next alert can (docs/setup.md)."
)


def resolved(
    suspects: Suspects,
    listed: Collection[str],
    protected: ProtectedConsumers = NOTHING_PROTECTED,
) -> Suspects:
    """`suspects` with `allowlisted` said for every consumer, driver and change that names
    an automation, from the allowlist's KIND:NAME keys the alert was sent with (the source
    may not know them), and each protected consumer marked so (never a stop suggestion)."""

    def known(automation: str | None, allowlisted: bool | None) -> bool | None:
        if allowlisted is not None or automation is None:
            return allowlisted
        return automation in listed

    return suspects.model_copy(
        update={
            # A consumer that is no automation (an app, a user) is never on the allowlist.
            "consumers": [
                c.model_copy(
                    update={
                        "allowlisted": bool(known(c.automation, c.allowlisted)),
                        "protected": keep_running(c, protected),
                    }
                )
                for c in suspects.consumers
            ],
            "drivers": [
                d.model_copy(update={"allowlisted": known(d.automation, d.allowlisted)})
                for d in suspects.drivers
            ],
            "changes": [
                c.model_copy(update={"allowlisted": known(c.automation, c.allowlisted)})
                for c in suspects.changes
            ],
        }
    )


def is_empty(suspects: Suspects) -> bool:
    return not suspects.consumers and not suspects.changes and not suspects.drivers


def provenance(suspects: Suspects, now: datetime) -> str:
    """ "from the ApiTotalUsage daily file, 14 h old"; "" when no source ranked anything."""
    if suspects.source is AttributionSource.NONE:
        return ""
    text = f"from the {suspects.source.value}"
    if suspects.data_as_of is not None:
        text += f", {age(now - suspects.data_as_of)} old"
    return text


def age(delta: timedelta) -> str:
    minutes = round(max(0.0, delta.total_seconds()) / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours = round(minutes / 60)
    return f"{hours} h" if hours < 48 else f"{round(hours / 24)} days"


def sentences(notes: list[str]) -> str:
    """Notes run together as sentences, each ending with its full stop."""
    return " ".join(note if note.endswith((".", "!", "?")) else f"{note}." for note in notes)


def section(suspects: Suspects | None, *, now: datetime, salesforce: bool) -> str:
    """The email's Suspects section, or "" when there is nothing worth saying."""
    if suspects is None:
        return ""
    if is_empty(suspects):
        notes = suspects.notes or ([ENABLE_EVENT_LOGS] if salesforce else [])
        return "Suspects: " + sentences(notes) if notes else ""
    if suspects.consumers:
        source = provenance(suspects, now)
        lines = [f"Suspects ({source}):" if source else "Suspects:"]
        lines += [f"  {line}" for line in consumer_lines(suspects)]
    elif suspects.notes or not salesforce:  # drivers or changes only: the section still starts
        lines = [f"Suspects: {NO_RANKING}"]
    else:
        lines = [f"Suspects: {ENABLE_EVENT_LOGS}"]
    lines += [f"  {line}" for line in driver_lines(suspects)]
    changes = other_changes(suspects)
    if changes:
        lines.append(f"Recent setup changes ({AttributionSource.SETUP_AUDIT_TRAIL.value}):")
        lines += [
            f"  - {with_verdict(change_text(change), change)}" for change in changes[:MAX_SHOWN]
        ]
    lines += [f"Note: {note}" for note in suspects.notes]
    return "\n".join(lines)


def one_line(suspects: Suspects | None, *, now: datetime, salesforce: bool) -> str:
    """The suspects in one line, for chat (`Alert.suspects`); "" when nothing is known."""
    if suspects is None:
        return ""
    if is_empty(suspects):
        notes = suspects.notes or ([ENABLE_EVENT_LOGS] if salesforce else [])
        return sentences(notes)
    parts = []
    if suspects.consumers:
        named = "; ".join(
            with_verdict(short(consumer), consumer) for consumer in suspects.consumers[:MAX_SHOWN]
        )
        source = provenance(suspects, now)
        parts.append(f"Consumer: {named}" + (f" ({source})" if source else ""))
    if suspects.drivers:
        parts.append(drivers_line(suspects))
    changes = other_changes(suspects)
    if changes:
        parts.append(f"Last change {with_verdict(change_text(changes[0]), changes[0])}")
    return ". ".join(parts)


def sms_part(suspects: Suspects | None) -> str:
    """ " Top: Nightly ETL 62%." or, when the top consumer keeps running, its first driver
    (" Driver: flow Rollup_A."); "" when nothing is known (the SMS adds it if it fits)."""
    top = suspects.top if suspects is not None else None
    if suspects is None or top is None:
        return ""
    if top.protected and suspects.drivers:
        return f" Driver: {suspects.drivers[0].name}."
    share = f" {top.share:.0%}" if top.share is not None else ""
    return f" Top: {top.name}{share}."


def story(
    before: Suspects | None,
    after: Suspects | None,
    *,
    now: datetime,
    braked_at: datetime | None = None,
) -> str:
    """Who burned the calls before the brake and after it, for the brake and release
    summaries: what a person needs to fix the cause instead of braking again tomorrow.
    `before` is aged as of `braked_at` when given (what the monitor knew then)."""
    parts = []
    if before is not None and not is_empty(before):
        if braked_at is None:
            parts.append(_ranking("Before the brake", before, now))
        else:
            parts.append(_ranking("Before the brake", before, braked_at, " at the brake"))
    if after is not None and not is_empty(after):
        parts.append(_ranking(_after_label(after, braked_at), after, now))
    elif before is not None and not is_empty(before) and after is not None:
        parts.append("Since the brake: the sources name no consumer.")
    return "\n\n".join(parts)


def _after_label(after: Suspects, braked_at: datetime | None) -> str:
    """ "Since the brake" only for data that is all after it: a ranking whose newest data
    predates the brake (yesterday's daily file at release) is only the newest the sources
    know, and one whose window began before the brake (the daily file of the brake's own
    day) mostly tells what the brake stopped."""
    if braked_at is None:
        return "Since the brake"
    if after.data_as_of is not None and after.data_as_of < braked_at:
        return "At release, from data older than the brake"
    if after.window_start is not None and after.window_start < braked_at:
        return "At release, from data that began before the brake"
    return "Since the brake"


def story_line(before: Suspects | None, after: Suspects | None) -> str:
    """The same in one line (chat): the top consumer before and after."""
    parts = []
    for label, suspects in (("before the brake", before), ("since", after)):
        top = suspects.top if suspects is not None else None
        if top is not None:
            parts.append(f"{label}: {with_verdict(short(top), top, LISTED)}")
    return "; ".join(parts)


def _ranking(label: str, suspects: Suspects, now: datetime, then: str = "") -> str:
    source = provenance(suspects, now)
    lines = [f"{label} ({source}{then}):" if source else f"{label}:"]
    lines += [f"  {line}" for line in consumer_lines(suspects, LISTED)]
    lines += [f"  {line}" for line in driver_lines(suspects, LISTED)]
    lines += [
        f"  - changed {with_verdict(change_text(change), change, LISTED)}"
        for change in other_changes(suspects)[:MAX_SHOWN]
    ]
    return "\n".join(lines)
