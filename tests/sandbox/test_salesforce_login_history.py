"""LoginHistory (docs/platform-notes.md A5) over HTTP: a row per token grant to apibrake's connected
app, hourly rows for an external integration while its user can log in, grouped by
Application and ApiType, and hidden without Manage Users or Monitor Login History."""

from __future__ import annotations

from datetime import timedelta

from sandbox.server import Sandbox
from tests.sandbox.salesforce_support import OrgClient

GROUPED = (
    "SELECT Application, ApiType, COUNT(Id) logins FROM LoginHistory "
    "WHERE LoginTime >= {since} GROUP BY Application, ApiType ORDER BY COUNT(Id) DESC"
)


def _since(sandbox: Sandbox, hours: float) -> str:
    moment = sandbox.clock.now() - timedelta(hours=hours)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_each_token_grant_is_a_rest_login_of_the_connected_app(sandbox: Sandbox) -> None:
    sf = OrgClient(sandbox).login()
    sf.login()
    rows = sf.query(
        "SELECT Id, UserId, LoginTime, Application, ApiType, ApiVersion, LoginType, Status "
        "FROM LoginHistory"
    ).json()["records"]
    assert len(rows) == 2
    assert {row["Application"] for row in rows} == {"apibrake"}
    assert {row["ApiType"] for row in rows} == {"REST"}
    assert {row["Status"] for row in rows} == {"Success"}
    assert {row["UserId"] for row in rows} == {sandbox.salesforce.settings.user_id}
    assert rows[0]["Id"] != rows[1]["Id"]


def test_a_refused_grant_is_no_login(sandbox: Sandbox) -> None:
    client = OrgClient(sandbox)
    assert client.client_credentials(client_secret="wrong").status_code == 400
    sf = client.login()
    assert len(sf.query("SELECT Id FROM LoginHistory").json()["records"]) == 1


def test_an_integration_logs_in_hourly_until_its_user_is_frozen(sandbox: Sandbox) -> None:
    org = sandbox.salesforce
    etl = org.switches.add_integration_user("etl@acme.com", name="Nightly ETL", calls_per_hour=600)
    sandbox.clock.advance(timedelta(hours=3, minutes=30))
    sf = OrgClient(sandbox).login()
    grouped = sf.query(GROUPED.format(since=_since(sandbox, 24))).json()["records"]
    assert [(g["Application"], g["ApiType"], g["logins"]) for g in grouped] == [
        ("Nightly ETL", "REST", 4),  # at its start and after 1, 2 and 3 hours
        ("apibrake", "REST", 1),
    ]
    org.switches.freeze_by_hand(etl.username)
    sandbox.clock.advance(timedelta(hours=5))
    recent = sf.query(GROUPED.format(since=_since(sandbox, 4))).json()["records"]
    assert recent == []  # frozen: no login in the last 4 hours (and no new token asked)


def test_the_window_filters_on_login_time(sandbox: Sandbox) -> None:
    sandbox.salesforce.switches.add_integration_user("etl@acme.com", calls_per_hour=60)
    sandbox.clock.advance(timedelta(hours=10))
    sf = OrgClient(sandbox).login()
    grouped = sf.query(GROUPED.format(since=_since(sandbox, 2))).json()["records"]
    # Logins at 8, 9 and 10 hours (LoginTime >= the window start includes its edge).
    assert {g["Application"]: g["logins"] for g in grouped} == {"etl": 3, "apibrake": 1}


def test_without_manage_users_or_monitor_login_history_login_history_does_not_exist(
    sandbox: Sandbox,
) -> None:
    sf = OrgClient(sandbox).login()
    sandbox.salesforce.revoke_permissions("ManageUsers")
    # Monitor Login History alone is enough (the watch permission set's grant)
    assert sf.query("SELECT Id FROM LoginHistory").status_code == 200
    sandbox.salesforce.revoke_permissions("MonitorLoginHistory")
    response = sf.query("SELECT Id FROM LoginHistory")
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "INVALID_TYPE"


def test_last_n_days_means_today_and_the_n_days_before(sandbox: Sandbox) -> None:
    """A date literal as real clients send it (`LoginTime = LAST_N_DAYS:7`): the UTC days
    from n days ago to the end of today; < before that range, > after it."""
    sandbox.salesforce.switches.add_integration_user("etl@acme.com", calls_per_hour=60)
    sandbox.clock.advance(timedelta(days=3))
    now = sandbox.clock.now()
    sf = OrgClient(sandbox).login()

    def logins(where: str) -> int:
        soql = f"SELECT Id FROM LoginHistory WHERE Application = 'etl' AND LoginTime {where}"  # noqa: S608 - test literals
        response = sf.query(soql)
        assert response.status_code == 200, response.text
        return len(response.json()["records"])

    hours_since_yesterday = 24 + now.hour + 1  # whole hours from yesterday 00:00 up to now
    assert logins("= LAST_N_DAYS:1") == hours_since_yesterday
    assert logins("< LAST_N_DAYS:1") + logins("= LAST_N_DAYS:1") == logins("!= null")
    assert logins("= LAST_N_DAYS:7") == logins("!= null")
    assert logins("> LAST_N_DAYS:7") == 0
    assert logins("= TODAY") == now.hour + 1
