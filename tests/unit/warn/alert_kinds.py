"""One alert of every kind apibrake sends, composed the way the code composes them: the
chat and events tests check each channel against all of them."""

from __future__ import annotations

from datetime import UTC, datetime

from apibrake.models.alert import Alert, Severity
from apibrake.models.allowlist import AllowlistEntry, AutomationKind
from apibrake.models.attribution import (
    AttributionSource,
    Consumer,
    ConsumerKind,
    SetupChange,
    Suspects,
)
from apibrake.models.connection import Connection
from apibrake.models.reports import AutomationRow, RowStatus
from apibrake.warn.incident_alerts import (
    frozen_still_spending,
    human_must_act,
    summary_alert,
    would_have_braked,
)
from apibrake.warn.messages import AlertContext, compose
from apibrake.warn.notices import connection_notices
from apibrake.warn.rules import (
    AlertKind,
    DueAlert,
    connection_error_alert,
    exhausted_alert,
    usage_alerts,
)
from apibrake.watch.failures import invalid_item_alert
from apibrake.watch.forecast import Forecast

SF = Connection(connection_id="sf-prod", platform="salesforce", secret_id="apibrake/sf")
HS = Connection(connection_id="hs-main", platform="hubspot", secret_id="apibrake/hs")
ALLOWLIST = [AllowlistEntry(connection_id="sf-prod", automation="flow:Account_Rollup")]
FUNCTION = "apibrake-IncidentResponder"
NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
# Yesterday's daily file (collected before it expired) and the change that started the burn.
SUSPECTS = Suspects(
    connection_id="sf-prod",
    source=AttributionSource.DAILY_FILE,
    data_as_of=datetime(2026, 11, 1, 23, 59, tzinfo=UTC),
    window_start=datetime(2026, 11, 1, tzinfo=UTC),
    window_end=datetime(2026, 11, 2, tzinfo=UTC),
    consumers=[
        Consumer(
            name="flow Account_Rollup",
            kind=ConsumerKind.AUTOMATION,
            calls=9_200,
            share=0.62,
            automation="flow:Account_Rollup",
        ),
        Consumer(
            name="Nightly ETL (connected app)",
            kind=ConsumerKind.CONNECTED_APP,
            calls=3_100,
            share=0.21,
        ),
    ],
    changes=[
        SetupChange(
            at=datetime(2026, 11, 2, 9, 12, tzinfo=UTC),
            who="admin@acme.com",
            action="activatedinteractiondefversion",
            display='Activated flow version #4 "Account Rollup" for flow with Unique Name '
            '"Account_Rollup"',
            automation="flow:Account_Rollup",
        )
    ],
    api_calls=1,
)


def outlook(percent: float, *, resets_at: datetime | None = None) -> Forecast:
    return Forecast(
        used=int(percent * 150),
        limit=15_000,
        percent=percent,
        burn_rate_per_hour=1_200.0,
        minutes_to_brake=45.0 if percent < 90 else 0.0,
        minutes_to_exhaustion=120.0,
        resets_at=resets_at,
        minutes_to_reset=None if resets_at is None else 300.0,
    )


def _composed(due: DueAlert, percent: float | None, **context: object) -> Alert:
    forecast = outlook(percent) if percent is not None else None
    return compose(
        SF,
        due,
        AlertContext(
            forecast=forecast,
            allowlist=ALLOWLIST,
            incident_function_name=FUNCTION,
            now=NOW,
            **context,  # type: ignore[arg-type]
        ),
    )


def automation_row(name: str, status: RowStatus, error: str | None = None) -> AutomationRow:
    return AutomationRow(
        platform="salesforce",
        connection_id="sf-prod",
        kind=AutomationKind.FLOW,
        name=name,
        status=status,
        error=error,
    )


def incident_summary(
    action: str,
    rows: list[AutomationRow],
    *,
    dry_run: bool = False,
    before: Suspects | None = None,
    after: Suspects | None = None,
) -> Alert:
    return summary_alert(
        action=action,
        incident_id="sf-prod-20261102T120000Z",
        connection_id="sf-prod",
        platform="salesforce",
        rows=rows,
        calls=3,
        dry_run=dry_run,
        complete=True,
        before=before,
        after=after,
        now=NOW,
    )


def _every_kind() -> dict[str, Alert]:
    by_threshold = {due.kind: due for due in usage_alerts(SF, outlook(92), horizon_minutes=60)}
    forecast_due = next(
        due
        for due in usage_alerts(SF, outlook(60), horizon_minutes=60)
        if due.kind is AlertKind.FORECAST
    )
    notices = connection_notices(
        HS,
        gap="service key calls are not counted",
        api_versions={"oauth": "v1"},
        now=datetime(2027, 1, 1, tzinfo=UTC),
    )
    braked = [automation_row("Account_Rollup", RowStatus.BRAKED)]
    return {
        "threshold": _composed(by_threshold[AlertKind.THRESHOLD], 92),
        "brake_threshold": _composed(by_threshold[AlertKind.BRAKE_THRESHOLD], 92),
        "brake_threshold_suspects": _composed(
            by_threshold[AlertKind.BRAKE_THRESHOLD], 92, suspects=SUSPECTS
        ),
        "forecast": _composed(forecast_due, 60),
        "connection_error": _composed(connection_error_alert("AuthError"), None, error="401"),
        "limit_exhausted": _composed(exhausted_alert(), 100, error="REQUEST_LIMIT_EXCEEDED"),
        "outside_reach": _composed(
            DueAlert("outside", AlertKind.OUTSIDE_REACH, Severity.CRITICAL, 100),
            95,
            rate_now_per_hour=2_000.0,
        ),
        "human_must_act": human_must_act("sf-prod", "salesforce", braked, "3 calls left"),
        "brake": incident_summary("brake", braked, before=SUSPECTS),
        "brake_dry_run": incident_summary("brake", braked, dry_run=True),
        "release": incident_summary(
            "release", [automation_row("Account_Rollup", RowStatus.RELEASED)]
        ),
        "release_trouble": incident_summary(
            "release", [automation_row("Account_Rollup", RowStatus.NEEDS_HUMAN, "owner changed")]
        ),
        "frozen_still_spending": frozen_still_spending(
            connection_id="sf-prod",
            platform="salesforce",
            incident_id="sf-prod-20261102T120000Z",
            user="etl@acme.com",
            user_id="0055g0000000002AAA",
            frozen_at=datetime(2026, 11, 2, 11, 40, tzinfo=UTC),
            counted_from=datetime(2026, 11, 2, 11, 40, tzinfo=UTC),
            calls=1_250,
            at_least=False,
            now=NOW,
        ),
        "usage_gap": notices[0].alert,
        "api_sunset": notices[1].alert,
        "invalid_item": invalid_item_alert("sf-bad", "field 'platform': not a platform"),
        "shadow_brake": would_have_braked(
            connection_id="sf-prod",
            platform="salesforce",
            incident_id="sf-prod-shadow-20261102T120000Z",
            rows=[automation_row("Account_Rollup", RowStatus.WOULD_BRAKE)],
            reason="shadow mode: usage 92.0% reached brake_at 90%: would have braked",
            calls=2,
            planned_calls=2,
            before=SUSPECTS,
            now=NOW,
        ),
    }


EVERY_KIND = _every_kind()
