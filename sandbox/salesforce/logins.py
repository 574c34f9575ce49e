"""LoginHistory rows (docs/platform-notes.md A5): one per OAuth token grant to apibrake's connected
app, and one an hour for each external integration running as an integration user while it
can log in (a simplification: a real ETL logs in when its session ends; hourly keeps the
rows deterministic). Rows are logins, not calls."""

from __future__ import annotations

from datetime import datetime, timedelta

from sandbox.salesforce import ids
from sandbox.salesforce.records import LoginRow, OrgRecords, User

LOGIN_HISTORY = "0Ya"
INTEGRATION_LOGIN_EVERY = timedelta(hours=1)


def token_grant(
    user_id: str, application: str, now: datetime, id_factory: ids.IdFactory
) -> LoginRow:
    """A client credentials or JWT bearer grant: a REST login by the connected app."""
    return LoginRow(
        id=id_factory.new(LOGIN_HISTORY), user_id=user_id, login_time=now, application=application
    )


def integration_logins(user: User, now: datetime) -> list[LoginRow]:
    """The hourly logins of the integration running as `user`, from its start until now or
    until its sessions stopped working (a freeze); an integration at rest shows its last
    login (the user's LastLoginDate), as LoginHistory would."""
    start = user.logins_from
    if start is None or not user.is_active:
        return []
    if user.calls_per_hour <= 0:
        last = user.last_login
        return [_login(user, last, 0)] if last is not None and last <= now else []
    until = now if user.stopped_at is None else min(now, user.stopped_at)
    rows, moment, index = [], start, 0
    while moment <= until:
        rows.append(_login(user, moment, index))
        index += 1
        moment = start + index * INTEGRATION_LOGIN_EVERY
    return rows


def _login(user: User, moment: datetime, index: int) -> LoginRow:
    return LoginRow(
        id=ids.with_suffix(f"{LOGIN_HISTORY}{ids.short(user.id)[-6:]}{index:06d}"),
        user_id=user.id,
        login_time=moment,
        application=user.name or user.username,
    )


def login_rows(records: OrgRecords, now: datetime) -> list[LoginRow]:
    rows = [row for row in records.logins if row.login_time <= now]
    for user in records.users.values():
        rows += integration_logins(user, now)
    return sorted(rows, key=lambda row: (row.login_time, row.id))
