"""Alert wording: a short subject, then usage, rate, forecast, reset, what the brake would
stop, and the exact command to brake by hand. The SMS variant fits one segment where it can.

Nothing here ever sees a secret: only the connection item, figures and error texts that
the HTTP layer already stripped of credentials.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from apibrake.models.allowlist import AllowlistEntry, AutomationKind, break_glass_takes
from apibrake.models.attribution import Suspects
from apibrake.models.connection import AutoBrake, Connection, Platform
from apibrake.models.entitlement import Entitlement
from apibrake.warn import raise_request, wording
from apibrake.warn.publisher import Alert
from apibrake.warn.rules import AlertKind, DueAlert
from apibrake.watch.ahead import BrakeAhead
from apibrake.watch.forecast import Forecast

SMS_SEGMENT = 160
_PLATFORM_NAMES = {Platform.SALESFORCE: "Salesforce", Platform.HUBSPOT: "HubSpot"}
# Where a person sees which consumer is spending the calls.
_WHO_CALLS = {
    Platform.SALESFORCE: "Salesforce Setup > Connected Apps OAuth Usage (or the API Total "
    "Usage event log) shows which user or app is calling",
    Platform.HUBSPOT: "HubSpot Settings > Integrations > Private Apps and Connected Apps "
    "show each app's call log",
}
_UI_PLACES = {
    AutomationKind.FLOW: "Salesforce Setup > Process Automation > Flows: deactivate",
    AutomationKind.SCHEDULED_APEX: "Salesforce Setup > Environments > Jobs > Scheduled Jobs: delete"
    " (note the schedule first)",
    AutomationKind.WORKFLOW: "HubSpot Automation > Workflows: turn off",
    AutomationKind.SETTING: "Salesforce Setup > Custom Code > Custom Settings > Manage: set the"
    " default organization level value of",
    AutomationKind.USER: "Salesforce Setup > Users > Users: Freeze",
}


# In shadow mode the threshold alerts go out as with auto_brake off, saying what happens.
_SHADOW_ACTION = (
    "auto_brake is in shadow mode for this connection: nothing was braked. apibrake planned "
    'the brake instead; a "would have braked" alert lists what it would have switched off. '
    "Brake by hand with the command below."
)
_AUTO_BRAKE_NOTES = {
    AutoBrake.ON: " (auto-brake on).",
    AutoBrake.OFF: ".",
    AutoBrake.SHADOW: " (auto-brake in shadow mode: it plans, it changes nothing).",
}


@dataclass(frozen=True)
class AlertContext:
    """Everything an alert may mention besides the connection itself."""

    forecast: Forecast | None = None
    error: str | None = None
    now: datetime | None = None  # when the check ran: the age of the suspects' data
    allowlist: Sequence[AllowlistEntry] = ()
    auto_brake_triggered: bool = False
    incident_function_name: str = "<IncidentResponderFunctionName>"
    stack_name: str = ""  # the deployed stack and its region: the commands work as copied
    region: str = ""
    horizon_minutes: float = 60.0
    also_crossed: Sequence[str] = field(default_factory=tuple)
    rate_now_per_hour: float | None = None  # since the last check (after a brake)
    # (minutes ago, percent) of the last reading before the limit ran out
    previous_check: tuple[float, float] | None = None
    # Who is spending the calls and what changed before the burn (attribution, issue 12).
    suspects: Suspects | None = None
    brake_ahead: BrakeAhead | None = None  # braked before the threshold: the rate, the projection
    # What the limit-exhausted alert's pre-filled raise needs (warn/raise_request.py): the
    # org id the token names, and the limit and rate of the readings before it ran out.
    org_id: str | None = None
    limit_before: int | None = None
    rate_before_per_hour: float | None = None
    # The org's kind and 30-day entitlement (read daily): past 100 %, in overage or not.
    entitlement: Entitlement | None = None


def compose(connection: Connection, due: DueAlert, context: AlertContext) -> Alert:
    platform = _PLATFORM_NAMES[connection.platform]
    subject = f"[apibrake] {due.severity.value.upper()} {connection.connection_id}: " + _headline(
        connection, due, context
    )
    suspects = _suspects(connection, due, context)
    now = context.now or datetime.now(UTC)
    salesforce = connection.platform is Platform.SALESFORCE
    sections = [
        f"{connection.display_name} ({platform}, connection {connection.connection_id})",
        _situation(connection, due, context, suspects),
        *_figures(connection, context.forecast),
        wording.section(suspects, now=now, salesforce=salesforce),
        _brake_scope(connection, due, context),
        _raise_request(connection, due, context, suspects, now),
        _commands(connection, due, context),
    ]
    forecast = context.forecast
    return Alert(
        subject=subject,
        body="\n\n".join(section for section in sections if section) + "\n",
        sms=_sms(connection, due, context, suspects),
        severity=due.severity,
        connection_id=connection.connection_id,
        platform=connection.platform.value,
        kind=due.kind.value,
        usage_line=_usage_line(forecast) if forecast else "",
        forecast_line=_prediction(connection, forecast) if forecast else "",
        next_steps=_next_steps(connection, due, context, suspects),
        suspects=wording.one_line(suspects, now=now, salesforce=salesforce),
        attribution=suspects,
        percent=round(forecast.percent, 2) if forecast else None,
        used=forecast.used if forecast else None,
        limit=forecast.limit if forecast else None,
    )


def _suspects(connection: Connection, due: DueAlert, context: AlertContext) -> Suspects | None:
    """The suspects with the allowlist's verdict on each; none for a failing check."""
    if context.suspects is None or due.kind is AlertKind.CONNECTION_ERROR:
        return None
    listed = {entry.automation for entry in context.allowlist}
    return wording.resolved(context.suspects, listed, connection.protected)


def _headline(connection: Connection, due: DueAlert, context: AlertContext) -> str:
    forecast = context.forecast
    percent = f"{forecast.percent:.0f}% " if forecast else ""
    if due.kind is AlertKind.IN_OVERAGE:
        return f"{percent}of daily API limit used: in overage, calls still served"
    if due.kind is AlertKind.LIMIT_EXHAUSTED and context.auto_brake_triggered:
        return "daily API limit exhausted, break-glass brake started"
    if due.kind is AlertKind.LIMIT_EXHAUSTED:
        return "daily API limit exhausted, brake by API impossible"
    if due.kind is AlertKind.OUTSIDE_REACH:
        return f"{percent}and still climbing after the brake: outside apibrake's reach"
    if due.kind is AlertKind.BRAKE_THRESHOLD and context.brake_ahead is not None:
        ahead = context.brake_ahead
        # One decimal: 89.6 % must not read as the 90 % it was braked ahead of.
        used = f"{forecast.percent:.1f}% " if forecast else ""
        return f"{used}of daily API limit used, braked ahead of the {ahead.threshold:g}% threshold"
    if due.kind is AlertKind.BRAKE_THRESHOLD:
        return f"{percent}of daily API limit used, brake threshold reached"
    if due.kind is AlertKind.THRESHOLD:
        return f"{percent}of daily API limit used"
    if due.kind is AlertKind.FORECAST and forecast and forecast.minutes_to_brake is not None:
        return f"brake threshold forecast in {_duration(forecast.minutes_to_brake)}"
    return "usage check failing"


def _stop_advice(connection: Connection, suspects: Suspects | None) -> str:
    """What to stop by hand. Never a protected consumer (the HubSpot connector): when it is
    the one burning, stop what feeds it, the drivers the suspects name."""
    top = suspects.top if suspects is not None else None
    if top is None or not top.protected:
        return f"Find the consumer and stop it: {_WHO_CALLS[connection.platform]}"
    feeding = ", ".join(driver.name for driver in (suspects.drivers if suspects else [])[:3])
    return (
        f"The top consumer is {top.name}, {top.protected}: switch off the automations that "
        "change the records it syncs" + (f" ({feeding})" if feeding else "")
    )


def _situation(
    connection: Connection, due: DueAlert, context: AlertContext, suspects: Suspects | None
) -> str:
    platform = _PLATFORM_NAMES[connection.platform]
    if due.kind is AlertKind.CONNECTION_ERROR:
        return (
            f"apibrake could not read this connection's API usage: {context.error}\n"
            "Until this is fixed the connection is not watched and will not be braked "
            "automatically. Check the connection item, its secret and the credentials."
        )
    if due.kind is AlertKind.IN_OVERAGE:
        return _in_overage(connection, context)
    if due.kind is AlertKind.LIMIT_EXHAUSTED and context.auto_brake_triggered:
        reason = f" ({context.error})" if context.error else ""
        return (
            f"The {platform} daily API limit is exhausted{reason}: its REST API refuses every "
            f"call, {_until_recovery(connection, context.forecast)}. apibrake has started the "
            "break-glass brake: the allowlisted scheduled Apex jobs, kill switches and user "
            "freezes are braked through anonymous Apex over the SOAP API, which Salesforce "
            "serves after the limit (see the incident report that follows). Flows cannot be "
            "braked that way: a human must switch the others off in the UI now."
            + _late_detection(connection, context)
        )
    if due.kind is AlertKind.LIMIT_EXHAUSTED:
        reason = f" ({context.error})" if context.error else ""
        return (
            f"The {platform} daily API limit is exhausted{reason}. API-based braking is no "
            f"longer possible on {platform}: its API refuses every call, apibrake's included, "
            f"{_until_recovery(connection, context.forecast)}. A human must act in the "
            f"{platform} UI now." + _no_overage(context) + _late_detection(connection, context)
        )
    if due.kind is AlertKind.OUTSIDE_REACH:
        rate = context.rate_now_per_hour or 0.0
        return (
            f"apibrake braked the allowlisted automations, yet usage is still climbing at "
            f"{rate:,.0f} calls/hour since the last check. What still burns is not on the "
            "allowlist (an integration, an external ETL, another app, users) or could not be "
            "braked (see the incident report): it is outside apibrake's reach, and braking "
            f"again will not stop it. {_stop_advice(connection, suspects)}."
        )
    if due.kind is AlertKind.BRAKE_THRESHOLD and context.brake_ahead is not None:
        return _braked_ahead(connection, context.brake_ahead, context)
    if due.kind is AlertKind.BRAKE_THRESHOLD:
        action = (
            "apibrake has started the automatic brake (see the incident report that follows)."
            if context.auto_brake_triggered
            else _SHADOW_ACTION
            if connection.brakes_in_shadow
            else "auto_brake is off for this connection: brake by hand with the command below."
            if not connection.brakes_automatically
            else "The automatic brake was already started in this window."
        )
        return f"Usage reached the brake threshold of {connection.effective_brake_at:g}%. {action}"
    if due.kind is AlertKind.THRESHOLD:
        crossed = f"{due.threshold:g}%"
        return (
            f"Usage crossed the {crossed} warning threshold. The brake threshold is "
            f"{connection.effective_brake_at:g}%" + _AUTO_BRAKE_NOTES[connection.auto_brake]
        )
    return (
        "At the current rate usage reaches the brake threshold of "
        f"{connection.effective_brake_at:g}% within the next {context.horizon_minutes:g} minutes."
    )


def _braked_ahead(connection: Connection, ahead: BrakeAhead, context: AlertContext) -> str:
    started = (
        "apibrake has started the automatic brake ahead of the threshold (see the incident "
        "report that follows)."
        if context.auto_brake_triggered
        else "The automatic brake was already started in this window."
    )
    if ahead.hourly_steps:
        return (
            f"Usage is below the brake threshold of {ahead.threshold:g}%, but it has climbed "
            f"by {ahead.rate_per_hour:,.0f} calls or more in each of the last 3 hours, in "
            "steps (a scheduled run, then the sync of the records it changed), and the next "
            f"step would take it to {ahead.projected_percent:.1f}%. Braking now, between two "
            "steps, stops the next run before it changes anything, so no sync is left to "
            f"spend calls after the brake. {started} To brake only at the threshold itself, "
            "set brake_ahead to false on this connection."
        )
    if ahead.peak_with_tail_percent is not None:
        return (
            f"Usage is below the brake threshold of {ahead.threshold:g}%, but it has risen at "
            f"{ahead.rate_per_hour:,.0f} calls/hour or more over each of the last two checks. "
            "A brake stops the automations, not the sync of the records they already changed: "
            f"that goes on for about {ahead.tail_minutes:g} min. Braking at the next check, "
            f"usage would peak near {ahead.peak_with_tail_percent:.0f}% of the daily limit. "
            f"{started} To brake only at the threshold itself, set brake_ahead to false on "
            "this connection."
        )
    return (
        f"Usage is below the brake threshold of {ahead.threshold:g}%, but it has risen at "
        f"{ahead.rate_per_hour:,.0f} calls/hour or more over each of the last two checks. At "
        f"that rate it reaches {ahead.threshold:g}% in {ahead.minutes_to_threshold:.0f} min, "
        f"before the next check and the {connection.brake_lead_minutes:g} min a brake takes "
        f"({ahead.look_ahead_minutes:g} min; by then usage would be at "
        f"{ahead.projected_percent:.1f}%). {started} To brake only at the threshold itself, "
        "set brake_ahead to false on this connection."
    )


def _late_detection(connection: Connection, context: AlertContext) -> str:
    if context.previous_check is None:
        return ""
    minutes_ago, percent = context.previous_check
    if percent >= connection.effective_brake_at:
        return ""
    return (
        f"\n\nDetection came too late: the previous check, {_duration(minutes_ago)} earlier, "
        f"saw {percent:.0f}%, below brake_at {connection.effective_brake_at:g}%. The limit ran out "
        "between two checks, faster than the check interval, so the brake never had a chance. "
        "Run usage_monitor more often: the check interval must be shorter than the time to "
        "exhaustion (CheckSchedule in template.yaml; the default is every 5 minutes)."
    )


def _until_recovery(connection: Connection, forecast: Forecast | None) -> str:
    if connection.platform is Platform.SALESFORCE:
        return "until calls age out of the rolling 24 hours"
    if forecast and forecast.resets_at:
        return f"until the daily reset at {_when(forecast.resets_at)}"
    return "until the daily reset at midnight in the portal's time zone"


def _figures(connection: Connection, forecast: Forecast | None) -> list[str]:
    if forecast is None:
        return []
    if forecast.burn_rate_per_hour is None:
        rate = "Rate: not known yet (needs two readings a few minutes apart)."
    else:
        rate = f"Rate: {forecast.burn_rate_per_hour:,.0f} calls/hour over the last hour."
    if forecast.resets_at is None:
        reset = (
            "Reset: none, Salesforce counts a rolling 24 hours; headroom returns as calls "
            "made 24 hours ago age out."
        )
    else:
        reset = f"Reset: {_when(forecast.resets_at)}"
        if forecast.minutes_to_reset is not None:
            reset += f" (in {_duration(forecast.minutes_to_reset)})."
    lines = [_usage_line(forecast), rate, _prediction(connection, forecast), reset]
    return ["\n".join(lines)]


def _usage_line(forecast: Forecast) -> str:
    return (
        f"Usage: {forecast.used:,} of {forecast.limit:,} calls ({forecast.percent:.1f}%), "
        f"{forecast.remaining:,} remaining."
    )


def _prediction(connection: Connection, forecast: Forecast) -> str:
    parts = []
    if forecast.minutes_to_brake is not None and forecast.minutes_to_brake > 0:
        parts.append(
            f"brake threshold {connection.effective_brake_at:g}% "
            f"in {_duration(forecast.minutes_to_brake)}"
        )
    if forecast.minutes_to_exhaustion is not None and forecast.minutes_to_exhaustion > 0:
        parts.append(f"limit exhausted in {_duration(forecast.minutes_to_exhaustion)}")
    if parts:
        return "Forecast at this rate: " + "; ".join(parts) + "."
    if forecast.percent >= 100:
        return "Forecast: the limit is already used up."
    return "Forecast: no threshold is reached before the reset at this rate."


def _brake_scope(connection: Connection, due: DueAlert, context: AlertContext) -> str:
    entries = sorted(context.allowlist, key=lambda entry: (entry.tier, entry.automation))
    if due.kind is AlertKind.LIMIT_EXHAUSTED:
        entries = _by_hand(connection, context)
        if not entries and context.auto_brake_triggered:
            return "The break-glass brake takes every allowlisted automation: nothing by hand."
        if not entries:
            return "No automations are allowlisted: find the busiest ones in the platform's UI."
        lines = ["Turn these allowlisted automations off by hand:"]
        lines += [
            f"  - {entry.named_automation}: {_UI_PLACES[entry.kind]} {entry.label or entry.name}"
            for entry in entries
        ]
        return "\n".join(lines)
    if not entries:
        return "The brake would stop nothing: no automations are allowlisted for this connection."
    lines = [f"The brake (tier 1 at {connection.effective_brake_at:g}%) would stop:"]
    for entry in entries:
        note = f" - {entry.note}" if entry.note else ""
        lines.append(f"  - {entry.named_automation} (tier {entry.tier}){note}")
    return "\n".join(lines)


def _raise_request(
    connection: Connection,
    due: DueAlert,
    context: AlertContext,
    suspects: Suspects | None,
    now: datetime,
) -> str:
    """Only when the limit is spent: more calls are then the one thing that restarts the
    integrations before the window recovers. Email and chat only, never the SMS."""
    if due.kind is not AlertKind.LIMIT_EXHAUSTED:
        return ""
    facts = raise_request.RaiseFacts(
        platform=connection.platform,
        connection_id=connection.connection_id,
        label=connection.display_name,
        today=now.astimezone(UTC).date(),
        exhausted_at=now,
        limit=context.limit_before,
        rate_per_hour=context.rate_before_per_hour,
        org_id=context.org_id,
        suspects=suspects,
        to_stop_by_hand=[entry.automation for entry in _by_hand(connection, context)],
    )
    return raise_request.compose(facts)


def brake_command(
    function_name: str, connection_id: str, *, dry_run: bool, region: str = ""
) -> str:
    """The raw AWS CLI v2 invoke (for a machine without apibrake installed)."""
    payload = json.dumps(
        {"action": "brake", "connection_id": connection_id, "dry_run": dry_run},
        separators=(",", ":"),
    )
    aimed = f" --region {region}" if region else ""
    return (
        f"aws lambda invoke --function-name {function_name}{aimed} "
        f"--cli-binary-format raw-in-base64-out --payload '{payload}' out.json"
    )


def apibrake_command(connection_id: str, context: AlertContext, *, dry_run: bool) -> str:
    """The runbook's way: `apibrake brake`, aimed at this stack and region."""
    words = ["apibrake", "brake", "--connection", connection_id]
    words += ["--dry-run"] if dry_run else ["--yes"]
    words += ["--reason", "'apibrake alert'"]
    words += ["--stack", context.stack_name] if context.stack_name else []
    words += ["--region", context.region] if context.region else []
    return " ".join(words)


def _commands(connection: Connection, due: DueAlert, context: AlertContext) -> str:
    if due.kind in (AlertKind.LIMIT_EXHAUSTED, AlertKind.OUTSIDE_REACH):
        return ""
    name, cid, region = context.incident_function_name, connection.connection_id, context.region
    return (
        "See what the brake would do (changes nothing):\n"
        f"  {apibrake_command(cid, context, dry_run=True)}\n"
        "Brake now:\n"
        f"  {apibrake_command(cid, context, dry_run=False)}\n"
        "Without apibrake installed (AWS CLI v2), the same two:\n"
        f"  {brake_command(name, cid, dry_run=True, region=region)}\n"
        f"  {brake_command(name, cid, dry_run=False, region=region)}"
    )


def _next_steps(
    connection: Connection, due: DueAlert, context: AlertContext, suspects: Suspects | None
) -> tuple[str, ...]:
    """What to do now, in order, for channels that show steps apart (chat)."""
    cid = connection.connection_id
    if due.kind is AlertKind.LIMIT_EXHAUSTED:
        entries = _by_hand(connection, context)
        if not entries:
            return ("Find the busiest automations in the platform's UI and turn them off.",)
        return tuple(
            f"Turn off {entry.automation} by hand: {_UI_PLACES[entry.kind]} {entry.name}"
            for entry in entries
        )
    if due.kind is AlertKind.OUTSIDE_REACH:
        return (f"{_stop_advice(connection, suspects)}.",)
    if due.kind is AlertKind.CONNECTION_ERROR:
        return (
            f"Check the connection, its secret and credentials: `apibrake connections test {cid}`",
        )
    dry_run = apibrake_command(cid, context, dry_run=True)
    return (
        f"See what the brake would do (changes nothing): `{dry_run}`",
        f"Brake now: `{apibrake_command(cid, context, dry_run=False)}`",
    )


def _sms(
    connection: Connection, due: DueAlert, context: AlertContext, suspects: Suspects | None
) -> str:
    platform = _PLATFORM_NAMES[connection.platform]
    forecast = context.forecast
    usage = f" {forecast.percent:.0f}% ({forecast.used}/{forecast.limit})" if forecast else ""
    prefix = f"apibrake {due.severity.value.upper()} {connection.connection_id}:"
    if due.kind is AlertKind.LIMIT_EXHAUSTED:
        names = ", ".join(entry.name for entry in _by_hand(connection, context))
        started = context.auto_brake_triggered
        text = f"{prefix} {platform} API limit exhausted. " + (
            "Break-glass brake started; turn off in UI"
            if started
            else "API brake impossible: turn off in UI"
        )
        text += f": {names}" if names else "."
        if context.previous_check and context.previous_check[1] < connection.effective_brake_at:
            text += " Detected too late: check more often."
    elif due.kind is AlertKind.OUTSIDE_REACH:
        text = _outside_reach_sms(prefix + usage, context, suspects)
    elif due.kind is AlertKind.CONNECTION_ERROR:
        text = f"{prefix} cannot read {platform} usage: {context.error or ''}"
    elif due.kind is AlertKind.BRAKE_THRESHOLD:
        text = _brake_sms(prefix, usage, platform, context)
    elif due.kind is AlertKind.FORECAST and forecast and forecast.minutes_to_brake is not None:
        within = _duration(forecast.minutes_to_brake)
        text = f"{prefix}{usage}, brake at {connection.effective_brake_at:g}% in {within}."
    else:
        text = f"{prefix}{usage} of {platform} daily API limit."
    if due.kind is AlertKind.LIMIT_EXHAUSTED:
        return text  # naming what to turn off is worth a second segment
    if len(text) > SMS_SEGMENT:
        return text[: SMS_SEGMENT - 3] + "..."
    top = wording.sms_part(suspects)  # only when the segment still has room for it
    return text + top if len(text) + len(top) <= SMS_SEGMENT else text


def _outside_reach_sms(head: str, context: AlertContext, suspects: Suspects | None) -> str:
    rate = context.rate_now_per_hour or 0.0
    top = suspects.top if suspects is not None else None
    # Never "stop the consumer" when it is protected (the HubSpot sync): what feeds it.
    advice = "Stop what feeds the sync." if top and top.protected else "Stop that consumer by hand."
    return (
        f"{head} still climbing {rate:,.0f}/h after brake: not on allowlist, outside "
        f"apibrake's reach. {advice}"
    )


def _brake_sms(prefix: str, usage: str, platform: str, context: AlertContext) -> str:
    ahead = context.brake_ahead
    if ahead is not None and ahead.hourly_steps:
        return (
            f"{prefix}{usage}, +{ahead.rate_per_hour:,.0f} every hour: the next step passes "
            f"{ahead.threshold:g}%, braked ahead."
        )
    if ahead is not None:
        return (
            f"{prefix}{usage}, rising {ahead.rate_per_hour:,.0f}/h: {ahead.threshold:g}% in "
            f"{ahead.minutes_to_threshold:.0f} min, braked ahead."
        )
    action = "auto-brake started" if context.auto_brake_triggered else "brake now"
    return f"{prefix}{usage} of {platform} daily API limit, {action}."


def _duration(minutes: float) -> str:
    total = round(minutes)
    if total < 60:
        return f"{total} min"
    hours, rest = divmod(total, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _by_hand(connection: Connection, context: AlertContext) -> list[AllowlistEntry]:
    """The allowlisted automations a person switches off after exhaustion, in tier order: all
    of them, or, once the break-glass brake started, those it does not take (other kinds,
    higher tiers, users named by Id: brake/break_glass.py)."""
    entries = sorted(context.allowlist, key=lambda entry: (entry.tier, entry.automation))
    if not context.auto_brake_triggered:
        return entries
    return [
        entry
        for entry in entries
        if not break_glass_takes(entry.kind, entry.name) or entry.tier > connection.auto_brake_tier
    ]


def _in_overage(connection: Connection, context: AlertContext) -> str:
    """Past 100 %, still served: a paid org's soft limit (models/entitlement.py)."""
    action = (
        "apibrake has started the automatic brake (see the incident report that follows)."
        if context.auto_brake_triggered
        else "Brake now with the command below: calls are still served."
    )
    return (
        "Usage is past the daily API limit and Salesforce still serves calls: paid orgs may "
        'run past it "by a certain amount, if possible", up to a hard cap Salesforce does '
        "not publish (docs/platform-notes.md S2). This org is in overage: braking by API "
        f"still works now, and stops working at the cap. {action}" + _thirty_days(context)
    )


def _thirty_days(context: AlertContext) -> str:
    entitlement = context.entitlement
    if entitlement is None or entitlement.percent_30d is None:
        return ""
    return (
        f" The 30-day API entitlement ({entitlement.setting or 'API requests'}) stands at "
        f"{entitlement.percent_30d:.0f}% (read {_when(entitlement.read_at)})."
    )


def _no_overage(context: AlertContext) -> str:
    reason = context.entitlement.no_overage_reason if context.entitlement else None
    if reason is None:
        return ""
    return (
        f" This org is {reason}: it has no overage (the soft limit is for paid orgs), so "
        "Salesforce refuses calls from 100 %."
    )
