"""Whether a scheduled Apex job can be put back exactly, and the Apex that does it.

An aborted job is gone: release re-creates it with `System.schedule(name, cron, new
Class())`, which Salesforce runs in the *calling* user's time zone and makes that user the
job's owner and runner. So a job comes back exactly only when apibrake's integration user
already owns it (and so its time zone is that user's), and anonymous Apex can construct
its class: a public (global, for a managed class) no-argument constructor, or none
declared. Anything else is reported before the job is touched.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from apibrake.platforms.salesforce.soql import apex_string

# An Apex identifier: nothing else may reach the anonymous Apex body unquoted.
APEX_IDENTIFIER = re.compile(r"^[A-Za-z]\w{0,39}$")
_CONSTRUCTIBLE = {"public", "global", "default"}  # "default": no constructor declared


def qualified_class(job: dict[str, Any]) -> str:
    """How anonymous Apex names the job's class: `ns.Class` for a managed one."""
    namespace, name = job.get("namespace"), str(job.get("apex_class") or "")
    return f"{namespace}.{name}" if namespace else name


def abort_statement(job: dict[str, Any]) -> str:
    return f"System.abortJob({apex_string(str(job.get('id')))});"


def schedule_statement(job: dict[str, Any]) -> str:
    parts = [str(job.get("namespace") or ""), str(job.get("apex_class") or "")]
    if not all(APEX_IDENTIFIER.match(part) for part in parts if part) or not parts[1]:
        raise ValueError(f"not an Apex class name: {qualified_class(job)!r}")
    return (
        # No spaces after the commas: every character counts against the URI's 2,000.
        f"System.schedule({apex_string(str(job['name']))},{apex_string(str(job['cron']))},"
        f"new {qualified_class(job)}());"
    )


def pack_statements(statements: list[str], fits: Callable[[str], bool]) -> list[list[int]]:
    """Indexes of `statements` grouped into bodies that `fits` (one statement per line)."""
    bodies: list[list[int]] = []
    current: list[int] = []
    for index in range(len(statements)):
        candidate = "\n".join(statements[i] for i in [*current, index])
        if current and not fits(candidate):
            bodies.append(current)
            current = []
        current.append(index)
    if current:
        bodies.append(current)
    return bodies


def constructor_access(symbol_table: Any) -> str | None:
    """The no-argument constructor's access (`public`, `global`, `private`, ...), `default`
    when the class declares no constructor, `none` when every constructor takes arguments;
    None when the symbol table is hidden (a managed class) or unreadable."""
    if not isinstance(symbol_table, dict) or not isinstance(symbol_table.get("constructors"), list):
        return None
    constructors = [c for c in symbol_table["constructors"] if isinstance(c, dict)]
    if not constructors:
        return "default"
    no_argument = next((c for c in constructors if not c.get("parameters")), None)
    if no_argument is None:
        return "none"
    modifiers = [str(m).lower() for m in no_argument.get("modifiers") or []]
    return next(
        (m for m in modifiers if m in {"global", "public", "protected", "private"}), "private"
    )


def cannot_recreate(job: dict[str, Any]) -> str | None:
    """Why no `System.schedule` can bring the job back at all; None when one can."""
    if not job.get("apex_class"):
        return "its Apex class could not be found"
    if not all(
        APEX_IDENTIFIER.match(str(p)) for p in (job.get("namespace"), job["apex_class"]) if p
    ):
        return "its Apex class name is not a plain identifier"
    access, name = job.get("constructor"), qualified_class(job)
    if job.get("namespace"):
        if access != "global":  # anonymous Apex stands outside the package's namespace
            hidden = " (its constructors are hidden)" if access is None else ""
            return f"{name} is a managed class without a global no-argument constructor{hidden}"
    elif access is None:
        return f"the constructors of {name} could not be read"
    elif access not in _CONSTRUCTIBLE:
        return f"{name} has no public no-argument constructor"
    return None


def differences(job: dict[str, Any], running_user_id: str | None) -> list[str]:
    """What a job re-created by apibrake's integration user would not keep."""
    found = []
    owner = job.get("owner_id")
    if running_user_id is None:
        found.append("apibrake's integration user is unknown (the token named none)")
    elif owner != running_user_id:
        who = job.get("owner_username") or owner
        found.append(f"owner {who} (it would come back owned by, and run as, apibrake's user)")
    elif job.get("owner_time_zone") and job.get("time_zone") != job.get("owner_time_zone"):
        found.append(
            f"time zone {job.get('time_zone')} (it would come back in "
            f"{job.get('owner_time_zone')}, the user's time zone now)"
        )
    if job.get("end_time"):
        found.append(
            f"end date {job['end_time']} (System.schedule sets none: it would come back "
            "running with no end)"
        )
    blocked = cannot_recreate(job)
    if blocked:
        found.append(blocked)
    return found


def by_hand(job: dict[str, Any]) -> str:
    """The steps a person takes to put the job back as it was."""
    return (
        f"as {job.get('owner_username') or job.get('owner_id')}, in time zone "
        f"{job.get('time_zone')}: System.schedule({apex_string(str(job.get('name')))}, "
        f"{apex_string(str(job.get('cron')))}, new {qualified_class(job) or '<class>'}(...))"
    )


def restored_differently(before: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """What the re-created job shows that the journal did not. Its next fire time follows
    from cron and time zone (both compared) and is recorded in `restored` to see."""
    return [
        f"{label} {now.get(key)} (was {before.get(key)})"
        for key, label in (
            ("cron", "cron"),
            ("time_zone", "time zone"),
            ("owner_id", "owner"),
            ("end_time", "end date"),
        )
        if before.get(key) != now.get(key)
    ]
