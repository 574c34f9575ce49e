"""The anonymous Apex the break-glass channel sends: a small fixed set of templates.

Each allowlisted automation is one statement that reads its prior state, prints it with
`System.debug(LoggingLevel.ERROR, 'apibrake|<what>|' + JSON.serialize(...))` and changes it
(or, for the settling re-read after a lost answer, only prints it). The templates are fixed
text with quoted values in their slots, so the sandbox can interpret exactly these
(sandbox/salesforce/apex_blocks.py) and nothing else:

- `me`: the running user's id and time zone (who a re-scheduled job will belong to);
- `job`: a scheduled Apex job by name (CronTrigger, its class from AsyncApexJob), aborted
  when it would come back exactly (owned by apibrake's user, in its time zone, no end date)
  or the entry allows an inexact restore;
- `setting`: a hierarchy custom setting's org default (`getOrgDefaults()`), its fields set
  to their brake values and upserted (the org-default row created when there is none);
- `user`: a user by username and its UserLogin, frozen unless inactive, frozen already, or
  apibrake's own user;
- `end`: the block's last line, printed once every statement ran: a log cut at either end
  (a log over its size limit loses lines) is told from a whole one.

A block runs as one transaction: an exception rolls all of it back (Apex guide, Anonymous
Blocks), so either every printed state was changed as the template says, or none was.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from apibrake.platforms.salesforce.soql import apex_string

MARKER = "apibrake"
# An Apex identifier of a custom setting or field (the allowlist validated the names).
_API_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,79}$")
_USER_DEBUG = re.compile(r"\|USER_DEBUG\|\[\d+\]\|[A-Z]+\|" + MARKER + r"\|(\w+)\|(.*)$")

ME = (
    "System.debug(LoggingLevel.ERROR,'apibrake|me|'+UserInfo.getUserId()+'|'"
    "+UserInfo.getTimeZone().getID());"
)
_JOB_QUERY = (
    "SELECT Id,CronJobDetail.Name,CronExpression,State,NextFireTime,TimeZoneSidKey,OwnerId,"
    "StartTime,EndTime FROM CronTrigger WHERE CronJobDetail.JobType='7' AND "
    "CronJobDetail.Name={name} AND State NOT IN ('DELETED','COMPLETE','ERROR')"
)
_JOB_CLASS = (
    "for(AsyncApexJob j:[SELECT CronTriggerId,ApexClass.Name,ApexClass.NamespacePrefix FROM "
    "AsyncApexJob WHERE JobType='ScheduledApex' AND Status IN ('Queued','Processing') AND "
    "CronTriggerId=:t.Id])System.debug(LoggingLevel.ERROR,'apibrake|class|'+JSON.serialize(j));"
)
_JOB_ABORT = (
    "if({allow}||(t.OwnerId==UserInfo.getUserId()&&t.EndTime==null&&"
    "t.TimeZoneSidKey==UserInfo.getTimeZone().getID()))System.abortJob(t.Id);"
)
_USER_QUERY = "SELECT Id,Username,Name,IsActive FROM User WHERE Username={username}"
_LOGIN_QUERY = "SELECT Id,UserId,IsFrozen,LastModifiedDate FROM UserLogin WHERE UserId=:u.Id"
_FREEZE = "if(u.IsActive&&!l.IsFrozen&&u.Id!=UserInfo.getUserId()){l.IsFrozen=true;update l;}"
END = "System.debug(LoggingLevel.ERROR,'apibrake|end|');"


def job_statement(name: str, *, allow_inexact: bool, change: bool = True) -> str:
    abort = _JOB_ABORT.format(allow="true" if allow_inexact else "false") if change else ""
    return (
        f"for(CronTrigger t:[{_JOB_QUERY.format(name=apex_string(name))}]){{"
        "System.debug(LoggingLevel.ERROR,'apibrake|job|'+JSON.serialize(t));"
        f"{_JOB_CLASS}{abort}}}"
    )


def setting_statement(
    setting: str, values: dict[str, bool], index: int, *, change: bool = True
) -> str:
    names = [setting, *values]
    if not all(_API_NAME.match(name) for name in names):
        raise ValueError(f"not Apex names: {names!r}")
    var = f"s{index}"
    text = (
        f"{setting} {var}={setting}.getOrgDefaults();"
        f"System.debug(LoggingLevel.ERROR,'apibrake|setting|'+JSON.serialize({var}));"
    )
    if change:
        text += "".join(
            f"{var}.{name}={'true' if value else 'false'};" for name, value in values.items()
        )
        text += f"if({var}.Id==null){var}.SetupOwnerId=UserInfo.getOrganizationId();upsert {var};"
    return text


def user_statement(username: str, *, change: bool = True, excluded_ids: Iterable[str] = ()) -> str:
    """`excluded_ids`: protected users named by Id, never frozen whatever their username."""
    query = _USER_QUERY.format(username=apex_string(username))
    excluded = list(excluded_ids)
    if excluded:
        query += f" AND Id NOT IN ({','.join(apex_string(i) for i in excluded)})"
    return (
        f"for(User u:[{query}]){{"
        "System.debug(LoggingLevel.ERROR,'apibrake|user|'+JSON.serialize(u));"
        f"for(UserLogin l:[{_LOGIN_QUERY}]){{"
        "System.debug(LoggingLevel.ERROR,'apibrake|login|'+JSON.serialize(l));"
        f"{_FREEZE if change else ''}}}}}"
    )


def block(statements: Iterable[str]) -> str:
    """One anonymous block: who runs it first, then one statement per line, then the end
    marker."""
    return "\n".join([ME, *statements, END])


@dataclass
class Printed:
    """What a block printed, before its changes: in the order printed."""

    user_id: str | None = None
    time_zone: str | None = None
    jobs: list[dict[str, Any]] = field(default_factory=list)
    classes: list[dict[str, Any]] = field(default_factory=list)
    settings: list[dict[str, Any]] = field(default_factory=list)
    users: list[dict[str, Any]] = field(default_factory=list)
    logins: list[dict[str, Any]] = field(default_factory=list)
    ended: bool = False  # the end marker printed

    @property
    def complete(self) -> bool:
        """The block's first and last lines printed: its whole log came back (not cut)."""
        return self.user_id is not None and self.ended


_LISTS = {
    "job": "jobs",
    "class": "classes",
    "setting": "settings",
    "user": "users",
    "login": "logins",
}


def parse_log(debug_log: str) -> Printed:
    """The apibrake lines of a debug log (`time (nanos)|USER_DEBUG|[line]|LEVEL|message`);
    other lines and unreadable values are ignored."""
    printed = Printed()
    for line in debug_log.splitlines():
        found = _USER_DEBUG.search(line)
        if found is None:
            continue
        what, value = found.groups()
        if what == "me":
            user_id, _, zone = value.partition("|")
            printed.user_id, printed.time_zone = user_id or None, zone or None
            continue
        if what == "end":
            printed.ended = True
            continue
        if what not in _LISTS:
            continue
        try:
            record = json.loads(value)
        except ValueError:
            continue
        if isinstance(record, dict):
            getattr(printed, _LISTS[what]).append(record)
    return printed
