"""`apibrake discover --suggest`: rank the org's automations by evidence and propose the
allowlist entries worth adding.

Evidence, strongest first: a share of yesterday's counted calls (the collected daily
ApiTotalUsage summary, free: `DailyShares`), scheduled Apex runs in the last day
(AsyncApexJob), a recent activation with who did it (SetupAuditTrail), a recent edit or
schedule (FlowDefinitionView.LastModifiedDate, CronTrigger.CreatedDate). A source the org
refuses is named and skipped. HubSpot keeps no run counts its API reads, so its enabled
workflows are proposed without evidence.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from apibrake.models.automation_text import with_label
from apibrake.models.protected import NOTHING_PROTECTED, ProtectedConsumers
from apibrake.models.words import counted
from apibrake.platforms.salesforce import activity
from apibrake.platforms.salesforce.activity import Dated, Refused
from apibrake_cli.output import duration
from apibrake_cli.steps import command_line

RUNS_WINDOW = timedelta(hours=24)
CHANGES_WINDOW = timedelta(days=7)
SUGGEST_CALLS = 4  # AsyncApexJob, SetupAuditTrail, FlowDefinitionView, CronTrigger
DEFAULT_PROPOSALS = 5
# connection_id -> automation (KIND:NAME) -> its share of the last collected day's counted
# calls. Filled by the attribution package's daily summary where it names automations.
DailyShares = Callable[[str], Mapping[str, float]]


@dataclass
class Evidence:
    automation: str
    share: float | None = None
    runs: int | None = None
    activated: Dated | None = None  # SetupAuditTrail
    modified: Dated | None = None  # LastModifiedDate / CronTrigger.CreatedDate

    def score(self, now: datetime) -> float:
        """Shares weigh most, then runs, then how recent a change is (fading over a week)."""
        score = 100.0 * (self.share or 0.0) + min(self.runs or 0, 50)
        newest = self.newest_change()
        if newest is not None:
            age = max(timedelta(0), now - newest.at)
            score += 20.0 * max(0.0, 1 - age / CHANGES_WINDOW)
        return round(score, 1)

    def newest_change(self) -> Dated | None:
        return self.activated or self.modified

    def reasons(self, now: datetime) -> list[str]:
        said = []
        if self.share:
            said.append(f"{self.share:.0%} of yesterday's counted calls (daily file)")
        if self.runs:
            said.append(f"{counted(self.runs, 'run')} in 24 h (AsyncApexJob)")
        if self.activated is not None:
            by = f" by {self.activated.who}" if self.activated.who else ""
            said.append(f"changed {duration(now - self.activated.at)} ago{by} (SetupAuditTrail)")
        elif self.modified is not None and now - self.modified.at <= CHANGES_WINDOW:
            said.append(f"changed or scheduled {duration(now - self.modified.at)} ago")
        return said


@dataclass
class Gathered:
    """What the org's sources said: evidence by automation, runs by Apex class, and the
    sources it refused (named, with the platform's reason)."""

    found: dict[str, Evidence] = field(default_factory=dict)
    runs_by_class: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def of(self, key: str) -> Evidence:
        return self.found.setdefault(key, Evidence(key))


async def salesforce_evidence(client: Any, now: datetime) -> Gathered:
    """Every source in turn (SUGGEST_CALLS at most); a refused one becomes a note."""
    gathered = Gathered()

    async def attempt(source: Callable[[], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
        try:
            return await source()
        except Refused as refused:
            gathered.notes.append(f"{refused.source} not available: {refused.reason}")
            return {}

    gathered.runs_by_class = await attempt(lambda: activity.apex_runs(client, now - RUNS_WINDOW))
    for key, dated in (await attempt(lambda: activity.flow_changes(client))).items():
        gathered.of(key).modified = dated
    for key, dated in (await attempt(lambda: activity.job_schedules(client))).items():
        gathered.of(key).modified = dated
    since = now - CHANGES_WINDOW
    for key, dated in (await attempt(lambda: activity.setup_activations(client, since))).items():
        gathered.of(key).activated = dated
    return gathered


@dataclass(frozen=True)
class Ranked:
    row: dict[str, Any]  # the discovered automation
    proof: Evidence
    score: float


def rank(
    rows: list[dict[str, Any]], gathered: Gathered, shares: Mapping[str, float], now: datetime
) -> list[Ranked]:
    """Every discovered automation with its evidence and score, best first."""
    ranked = []
    for row in rows:
        proof = gathered.found.get(row["automation"]) or Evidence(row["automation"])
        proof.share = shares.get(row["automation"])
        apex_class = row.get("apex_class")
        if apex_class and apex_class in gathered.runs_by_class:
            proof.runs = gathered.runs_by_class[apex_class]
        ranked.append(Ranked(row, proof, proof.score(now)))
    ranked.sort(key=lambda item: (-item.score, item.row["automation"]))
    return ranked


def proposals(
    connection_id: str,
    ranked: list[Ranked],
    now: datetime,
    *,
    need_evidence: bool = True,
    limit: int = DEFAULT_PROPOSALS,
    protected: ProtectedConsumers = NOTHING_PROTECTED,
) -> list[dict[str, Any]]:
    """The active automations not yet allowlisted, best evidence first, each with the exact
    `apibrake allowlist add` line that adds it (its evidence as the entry's note). With
    `need_evidence`, only those with some (a platform that records none proposes all).
    Never a canary or a protected consumer (`allowlist add` would refuse it)."""
    chosen = []
    for item in ranked:
        if item.row.get("allowlisted") or not _is_on(item.row) or item.row.get("canary"):
            continue
        if str(item.row["automation"]).startswith(("setting:", "user:")):
            continue  # a kill switch's brake_value and a user freeze are a person's call
        if protected.refusal(str(item.row["automation"])) is not None:
            continue
        reasons = item.proof.reasons(now)
        if need_evidence and not reasons:
            continue
        note = "suggested: " + ("; ".join(reasons) or "active, no evidence of activity")
        note += _name_note(item.row)
        chosen.append(
            {
                "automation": item.row["automation"],
                "score": item.score,
                "evidence": reasons,
                "note": note,
                "command": command_line(
                    "allowlist", "add", connection_id, item.row["automation"], "--note", note
                ),
            }
        )
        if len(chosen) == limit:
            break
    return chosen


def _name_note(row: Mapping[str, Any]) -> str:
    """The platform's name for an automation whose key does not say it (a HubSpot
    workflow's id), kept in the entry's note so the alerts that list the allowlist show it."""
    automation, label = str(row["automation"]), row.get("label")
    return f"; name: {label}" if with_label(automation, label) != automation else ""


def _is_on(row: Mapping[str, Any]) -> bool:
    return row.get("active") not in (None, "disabled", "DELETED", "COMPLETE", "PAUSED")
