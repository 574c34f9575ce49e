"""The raise, pre-filled: the text a person pastes to get more API calls while the runaway
automation is being stopped (issue 23 item 4).

Salesforce grants an emergency Daily API Request limit increase of up to two weeks through an
Activations case whose description answers a fixed list of questions (help article 000175738,
docs/platform-notes.md S8): this module answers them from what apibrake holds. HubSpot has no
such case; it sells an API limit increase pack (H3), so its variant gives the pack's facts
and the number of packs the measured rate calls for.

Pure: figures in, text out. Nothing here sees a secret: only the connection's id and label,
the org id (an identifier printed in Setup, not a credential), figures and suspects.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from apibrake.models.attribution import Suspects
from apibrake.models.connection import Platform
from apibrake.warn.chain import MAX_SHOWN, consumer_text, driver_text, more, when

SALESFORCE_TITLE = "Ask Salesforce for a temporary increase (paste into a case):"
HUBSPOT_TITLE = "Raise HubSpot's daily limit (API limit increase pack):"
SALESFORCE_ARTICLE = "https://help.salesforce.com/s/articleView?id=000175738&type=1"
HUBSPOT_PACK_DOC = "https://developers.hubspot.com/changelog/increasing-our-api-limits"
ORG_ID_PLACEHOLDER = "<your org id: Setup > Company Information>"
# The rate is a guess about the next day: the factor covers its error and the catch-up of
# work that queued while the integrations were refused.
SAFETY_FACTOR = 1.5
DEFAULT_DAYS = 7  # long enough to find and fix the cause, half what Salesforce allows
MAX_DAYS = 14  # the article refuses any request for more than two weeks
# Salesforce counts a rolling 24 hours and HubSpot a calendar day: either way the limit is
# a day's worth, so a day at the measured rate is the need it is compared with.
WINDOW_HOURS = 24
ROUND_TO = 1_000  # a request in round thousands reads as an estimate, which it is
HUBSPOT_PACK_CALLS = 1_000_000
HUBSPOT_MAX_PACKS = 2


@dataclass(frozen=True)
class RaiseFacts:
    """What apibrake knows when the limit runs out (the alert) or after (an incident)."""

    platform: Platform
    connection_id: str
    label: str
    today: date
    exhausted_at: datetime | None = None  # usage reached 100 %: the integrations stopped
    limit: int | None = None
    rate_per_hour: float | None = None  # the burn measured before the limit ran out
    org_id: str | None = None
    suspects: Suspects | None = None
    braked: Sequence[str] = ()  # what apibrake switched off (the incident's rows)
    to_stop_by_hand: Sequence[str] = ()  # allowlisted, but the API refuses the brake's calls
    tripped: tuple[datetime, float] | None = None  # the brake: when, at what percent
    days: int = DEFAULT_DAYS
    safety_factor: float = SAFETY_FACTOR


@dataclass(frozen=True)
class ExtraCalls:
    """(need over the window - limit) x safety factor, rounded up, with the working shown."""

    need: int
    extra: int
    formula: str


def extra_calls(
    rate_per_hour: float, limit: int, safety_factor: float = SAFETY_FACTOR
) -> ExtraCalls:
    need = math.ceil(rate_per_hour * WINDOW_HOURS)
    over = max(need - limit, 0)
    exact = over * safety_factor
    extra = math.ceil(exact / ROUND_TO) * ROUND_TO
    formula = (
        f"({rate_per_hour:,.0f} calls/hour x {WINDOW_HOURS} h = {need:,} needed"
        f" - limit {limit:,}) x safety factor {safety_factor:g} = {exact:,.0f}"
    )
    if extra != exact:
        formula += f", rounded up to {extra:,}"
    return ExtraCalls(need=need, extra=extra, formula=formula)


def end_date(today: date, days: int = DEFAULT_DAYS) -> date:
    """`days` from today, held between 1 and the two weeks Salesforce allows."""
    return today + timedelta(days=min(max(days, 1), MAX_DAYS))


def compose(facts: RaiseFacts) -> str:
    """The section for an alert or `apibrake incidents ID --raise-request`, title first."""
    if facts.platform is Platform.HUBSPOT:
        return _hubspot(facts)
    return _salesforce(facts)


def _salesforce(facts: RaiseFacts) -> str:
    until = end_date(facts.today, facts.days)
    days = (until - facts.today).days
    lines = [
        SALESFORCE_TITLE,
        "A System Administrator opens an Activations case with Salesforce Support and pastes "
        f"the answers below into its description ({SALESFORCE_ARTICLE}: emergencies only, at "
        "most two weeks, never planned work). Check every answer before sending.",
        "",
        "1. Are you the System Administrator authorized to make this request? Yes "
        "<confirm: only a System Administrator may ask>.",
        "2. Are you aware of the Usage Based Entitlement's soft limit? Yes: usage may exceed "
        "the allocation while the system is healthy; this org was refused all the same "
        "(REQUEST_LIMIT_EXCEEDED).",
        f"3. Organization ID: {facts.org_id or ORG_ID_PLACEHOLDER}",
        f"4. The emergency and its business impact: {_emergency(facts)}",
        f"5. Additional API calls requested: {_requested(facts, until)}",
        f"6. How it was calculated, and the assumptions: {_calculation(facts)}",
        f"7. Needed until: {until.isoformat()} ({days} days; the article allows two weeks).",
    ]
    return "\n".join(lines)


def _emergency(facts: RaiseFacts) -> str:
    stopped = when(facts.exhausted_at) if facts.exhausted_at else "<when usage reached 100 %>"
    text = (
        f"the daily API request limit of our org ({facts.label}) was used up at {stopped}; "
        "since then Salesforce refuses every API call and the integrations that depend on "
        "the API are stopped. <say which business process is down and what it costs>."
    )
    if facts.tripped is not None:
        at, percent = facts.tripped
        text += (
            f" Our usage watchdog (apibrake) braked the allowlisted automations at {when(at)}, "
            f"with usage at {percent:.0f}%."
        )
    return " ".join(part for part in (text, _culprits(facts), _actions(facts)) if part)


def _culprits(facts: RaiseFacts) -> str:
    suspects = facts.suspects
    if suspects is None:
        return ""
    parts = []
    if suspects.consumers:
        shown = suspects.consumers[:MAX_SHOWN]
        named = [consumer_text(c) for c in shown] + more(shown, len(suspects.consumers))
        parts.append("Spending the calls: " + "; ".join(named) + ".")
    if suspects.drivers:
        shown_drivers = suspects.drivers[:MAX_SHOWN]
        named = [driver_text(d) for d in shown_drivers] + more(shown_drivers, len(suspects.drivers))
        parts.append("Behind them: " + "; ".join(named) + ".")
    return " ".join(parts)


def _actions(facts: RaiseFacts) -> str:
    parts = []
    if facts.braked:
        parts.append("Already switched off: " + ", ".join(facts.braked) + ".")
    if facts.to_stop_by_hand:
        parts.append("Being switched off by hand: " + ", ".join(facts.to_stop_by_hand) + ".")
    if parts:
        parts.append("The increase keeps the other integrations running while the cause is fixed.")
    return " ".join(parts)


def _unfilled_formula(facts: RaiseFacts) -> str:
    """The formula with what is known put in, for a person to finish."""
    limit = f"{facts.limit:,}" if facts.limit else "the daily limit"
    rate = f"{facts.rate_per_hour:,.0f}" if facts.rate_per_hour is not None else "calls per hour"
    return f"({rate} x {WINDOW_HOURS} - {limit}) x {facts.safety_factor:g}"


def _missing(facts: RaiseFacts) -> str:
    """What apibrake lacked: two readings a few minutes apart give a rate."""
    if facts.limit is None:
        return "apibrake had no reading of the limit"
    return "apibrake had no rate (two readings a few minutes apart)"


def _requested(facts: RaiseFacts, until: date) -> str:
    if facts.rate_per_hour is None or facts.limit is None:
        return (
            f"<{_unfilled_formula(facts)}: {_missing(facts)}> per 24 hours, until "
            f"{until.isoformat()}."
        )
    extra = extra_calls(facts.rate_per_hour, facts.limit, facts.safety_factor)
    if extra.extra == 0:
        return (
            "none at the measured rate, which fits the limit: an earlier burst spent it. "
            "<ask only if the integrations cannot wait for the rolling 24 hours to recover>."
        )
    return f"{extra.extra:,} per 24 hours on top of the limit of {facts.limit:,}, until {until}."


def _calculation(facts: RaiseFacts) -> str:
    if facts.rate_per_hour is None or facts.limit is None:
        return (
            f"{_unfilled_formula(facts)} (calls needed in {WINDOW_HOURS} h at the runaway's "
            f"rate, less the limit, times a safety factor of {facts.safety_factor:g}); take "
            "the rate from Setup > System Overview or the API Usage report."
        )
    extra = extra_calls(facts.rate_per_hour, facts.limit, facts.safety_factor)
    return (
        f"{extra.formula}. Assumptions: the rate measured in the hour before the limit ran "
        f"out holds for the {WINDOW_HOURS} hours the rolling window takes to recover; the "
        f"limit stays {facts.limit:,}; the factor {facts.safety_factor:g} covers error in "
        "the rate and the catch-up of work queued while calls were refused."
    )


def _hubspot(facts: RaiseFacts) -> str:
    lines = [
        HUBSPOT_TITLE,
        f"HubSpot has no emergency case: it sells an API limit increase pack, "
        f"+{HUBSPOT_PACK_CALLS:,} calls a day on top of the portal's standard limit, at most "
        f"{HUBSPOT_MAX_PACKS} per portal ({HUBSPOT_PACK_DOC}). Buy it in the portal's Account "
        "& Billing, or through your HubSpot account manager. It is a paid add-on, not a "
        "temporary grant: remove it once the cause is fixed.",
        _packs(facts),
    ]
    return "\n".join(line for line in lines if line)


def _packs(facts: RaiseFacts) -> str:
    if facts.rate_per_hour is None or facts.limit is None:
        return (
            f"Packs needed: {_unfilled_formula(facts)}, divided by {HUBSPOT_PACK_CALLS:,} "
            f"and rounded up; {_missing(facts)}."
        )
    extra = extra_calls(facts.rate_per_hour, facts.limit, facts.safety_factor)
    packs = math.ceil(extra.extra / HUBSPOT_PACK_CALLS)
    if packs == 0:
        verdict = "no pack: the measured rate fits the limit, wait for the reset"
    elif packs <= HUBSPOT_MAX_PACKS:
        verdict = f"{packs} pack{'s' if packs > 1 else ''}"
    else:
        verdict = (
            f"more than the {HUBSPOT_MAX_PACKS} packs HubSpot sells: stopping the runaway is "
            "the only way"
        )
    return (
        f"Packs needed: {verdict}. {extra.formula}. Assumption: the rate measured in the hour "
        "before the limit ran out holds for a whole day."
    )
