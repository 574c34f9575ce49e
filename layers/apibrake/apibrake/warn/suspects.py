"""The Suspects section of an alert: who spends the calls and what changed before the burn,
and for each whether the brake stops it (on the allowlist) or a person must.

Short on purpose: three consumers and three changes at most, the source and the age of its
data named, so a person can judge how far to trust it. Nothing is said when attribution did
not run; when it ran and knew nothing, one line says why (its notes) or which source to turn
on.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, timedelta

from apibrake.attribution import keep_running
from apibrake.models.attribution import AttributionSource, Consumer, SetupChange, Suspects
from apibrake.models.protected import NOTHING_PROTECTED, ProtectedConsumers

MAX_CONSUMERS = 3
MAX_CHANGES = 3
BRAKED = "on the allowlist: the brake stops it"
LISTED = "on the allowlist"  # in a brake or release summary: the rows say what was done
NEEDS_PERSON = "not on the allowlist: needs a person"
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
    """`suspects` with `allowlisted` said for every consumer and change that names an
    automation, from the allowlist's KIND:NAME keys the alert was sent with (the source may
    not know them), and each protected consumer marked so (never a stop suggestion)."""

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
            "changes": [
                c.model_copy(update={"allowlisted": known(c.automation, c.allowlisted)})
                for c in suspects.changes
            ],
        }
    )


def is_empty(suspects: Suspects) -> bool:
    return not suspects.consumers and not suspects.changes


def provenance(suspects: Suspects, now: datetime) -> str:
    """ "from the ApiTotalUsage daily file, 14 h old"."""
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


def consumer_text(consumer: Consumer) -> str:
    if consumer.evidence:
        return f"{consumer.name}: {consumer.evidence}"
    share = f" ({consumer.share:.0%})" if consumer.share is not None else ""
    return f"{consumer.name}: {consumer.calls:,} {consumer.unit}{share}"


def change_text(change: SetupChange) -> str:
    return f"{when(change.at)} {change.who}: {change.display}"


def verdict(item: Consumer | SetupChange, braked: str = BRAKED) -> str:
    """Whether the brake stops it. Every consumer gets one (an app, a user or an automation
    off the allowlist needs a person); a change only when it names an automation."""
    if isinstance(item, Consumer) and item.protected:
        return item.protected
    if item.allowlisted:
        return braked
    if isinstance(item, Consumer) or item.automation is not None or item.allowlisted is False:
        return NEEDS_PERSON
    return ""


def section(suspects: Suspects | None, *, now: datetime, salesforce: bool) -> str:
    """The email's Suspects section, or "" when there is nothing worth saying."""
    if suspects is None:
        return ""
    if is_empty(suspects):
        notes = suspects.notes or ([ENABLE_EVENT_LOGS] if salesforce else [])
        return "Suspects: " + " ".join(notes) if notes else ""
    if suspects.consumers:
        lines = [f"Suspects ({provenance(suspects, now)}):"]
        for rank, consumer in enumerate(suspects.consumers[:MAX_CONSUMERS], start=1):
            lines.append(f"  {rank}. {_with_verdict(consumer_text(consumer), consumer)}")
    elif suspects.notes or not salesforce:  # changes only: the section still starts so
        lines = [f"Suspects: {NO_RANKING}"]
    else:
        lines = [f"Suspects: {ENABLE_EVENT_LOGS}"]
    if suspects.changes:
        lines.append(f"Recent setup changes ({AttributionSource.SETUP_AUDIT_TRAIL.value}):")
        lines += [
            f"  - {_with_verdict(change_text(change), change)}"
            for change in suspects.changes[:MAX_CHANGES]
        ]
    lines += [f"Note: {note}" for note in suspects.notes]
    return "\n".join(lines)


def one_line(suspects: Suspects | None, *, now: datetime, salesforce: bool) -> str:
    """The suspects in one line, for chat (`Alert.suspects`); "" when nothing is known."""
    if suspects is None:
        return ""
    if is_empty(suspects):
        notes = suspects.notes or ([ENABLE_EVENT_LOGS] if salesforce else [])
        return " ".join(notes)
    parts = []
    if suspects.consumers:
        named = "; ".join(
            _with_verdict(_short(consumer), consumer)
            for consumer in suspects.consumers[:MAX_CONSUMERS]
        )
        parts.append(f"{named} ({provenance(suspects, now)})")
    if suspects.changes:
        change = suspects.changes[0]
        parts.append(f"Last change {_with_verdict(change_text(change), change)}")
    return ". ".join(parts)


def sms_part(suspects: Suspects | None) -> str:
    """ " Top: Nightly ETL 62%." or "" (the SMS adds it only if it still fits)."""
    top = suspects.top if suspects is not None else None
    if top is None:
        return ""
    share = f" {top.share:.0%}" if top.share is not None else ""
    return f" Top: {top.name}{share}."


def _short(consumer: Consumer) -> str:
    if consumer.evidence:
        return f"{consumer.name} ({consumer.evidence})"
    if consumer.share is not None:
        return f"{consumer.name} {consumer.share:.0%}"
    return f"{consumer.name} {consumer.calls:,} {consumer.unit}"


def _with_verdict(text: str, item: Consumer | SetupChange, braked: str = BRAKED) -> str:
    said = verdict(item, braked)
    return f"{text} - {said}" if said else text


def when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


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
    """ "Since the brake", unless the ranking's newest data predates the brake (yesterday's
    daily file at release): then it is only the newest the sources know."""
    if braked_at is not None and after.data_as_of is not None and after.data_as_of < braked_at:
        return "At release, from data older than the brake"
    return "Since the brake"


def story_line(before: Suspects | None, after: Suspects | None) -> str:
    """The same in one line (chat): the top consumer before and after."""
    parts = []
    for label, suspects in (("before the brake", before), ("since", after)):
        top = suspects.top if suspects is not None else None
        if top is not None:
            parts.append(f"{label}: {_with_verdict(_short(top), top, LISTED)}")
    return "; ".join(parts)


def _ranking(label: str, suspects: Suspects, now: datetime, then: str = "") -> str:
    lines = [f"{label} ({provenance(suspects, now)}{then}):"]
    lines += [
        f"  {rank}. {_with_verdict(consumer_text(consumer), consumer, LISTED)}"
        for rank, consumer in enumerate(suspects.consumers[:MAX_CONSUMERS], start=1)
    ]
    lines += [
        f"  - changed {_with_verdict(change_text(change), change, LISTED)}"
        for change in suspects.changes[:MAX_CHANGES]
    ]
    return "\n".join(lines)
