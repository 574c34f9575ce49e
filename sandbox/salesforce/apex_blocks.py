"""The anonymous Apex of apibrake's break-glass channel, interpreted: exactly its templates
(layers/apibrake/apibrake/platforms/salesforce/apex_blocks.py), nothing else.

A body is the `me` line, one statement per line, then the `end` line: a scheduled job by
name (read, print, abort when the template's condition holds), a hierarchy custom setting's
org default (read, print, set fields, upsert), a user and its UserLogin (read, print,
freeze). Each template may come without its change (the settling re-read). The queries in
the templates run through the same SOQL engine as the REST API, their `:t.Id` / `:u.Id`
binds replaced by the record's id; what `System.debug` prints is `JSON.serialize` of the
record (compact JSON, the REST record's shape). The block is one transaction: an exception
rolls back all of it. Any other statement does not compile.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sandbox.salesforce import ids
from sandbox.salesforce.apex import ApexException
from sandbox.salesforce.query import run
from sandbox.salesforce.sobject_rest import hidden_types
from sandbox.salesforce.sobjects import timestamp
from sandbox.salesforce.soql import SoqlError

if TYPE_CHECKING:
    from sandbox.salesforce.org import SalesforceOrg

_SOQL = r"\[((?:[^\]']|'(?:[^'\\]|\\.)*')*)\]"
_DEBUG = "System.debug(LoggingLevel.ERROR,'apibrake|{what}|'+JSON.serialize({var}));"
_ME = re.compile(
    re.escape(
        "System.debug(LoggingLevel.ERROR,'apibrake|me|'+UserInfo.getUserId()+'|'"
        "+UserInfo.getTimeZone().getID());"
    )
)
_END = re.compile(re.escape("System.debug(LoggingLevel.ERROR,'apibrake|end|');"))
_JOB = re.compile(
    r"for\(CronTrigger t:"
    + _SOQL
    + r"\)\{"
    + re.escape(_DEBUG.format(what="job", var="t"))
    + r"for\(AsyncApexJob j:"
    + _SOQL
    + r"\)"
    + re.escape(_DEBUG.format(what="class", var="j"))
    + r"(?:if\((true|false)\|\|"
    + re.escape(
        "(t.OwnerId==UserInfo.getUserId()&&t.EndTime==null&&"
        "t.TimeZoneSidKey==UserInfo.getTimeZone().getID()))System.abortJob(t.Id);"
    )
    + r")?\}"
)
_SETTING = re.compile(
    r"(\w+) (s\d+)=(\w+)\.getOrgDefaults\(\);System\.debug\(LoggingLevel\.ERROR,"
    r"'apibrake\|setting\|'\+JSON\.serialize\((s\d+)\)\);"
    r"((?:s\d+\.\w+=(?:true|false);)*if\(s\d+\.Id==null\)s\d+\.SetupOwnerId="
    r"UserInfo\.getOrganizationId\(\);upsert s\d+;)?"
)
_ASSIGN = re.compile(r"s\d+\.(\w+)=(true|false);")
_USER = re.compile(
    r"for\(User u:"
    + _SOQL
    + r"\)\{"
    + re.escape(_DEBUG.format(what="user", var="u"))
    + r"for\(UserLogin l:"
    + _SOQL
    + r"\)\{"
    + re.escape(_DEBUG.format(what="login", var="l"))
    + r"("
    + re.escape(
        "if(u.IsActive&&!l.IsFrozen&&u.Id!=UserInfo.getUserId()){l.IsFrozen=true;update l;}"
    )
    + r")?\}\}"
)


class _CompileError(Exception):
    def __init__(self, problem: str, line: int) -> None:
        super().__init__(problem)
        self.problem, self.line = problem, line


class _Block:
    def __init__(self, org: SalesforceOrg) -> None:
        self.org = org
        self.now = org.clock.now()
        self.log: list[str] = []
        self.line = 0
        self.dml: dict[bool, str] = {}  # setup object or not -> the first object changed

    def changing(self, sobject: str, *, setup: bool) -> None:
        """DML on setup objects (User, UserLogin, ...) cannot share a transaction with DML on
        other objects (Apex guide, "sObjects That Can't Be Used Together in DML Operations")."""
        other = self.dml.get(not setup)
        if other is not None:
            raise ApexException(
                "System.DmlException: MIXED_DML_OPERATION, DML operation on setup object is "
                "not permitted after you have updated a non-setup object (or vice versa): "
                f"{sobject}, original object: {other}"
            )
        self.dml.setdefault(setup, sobject)

    def debug(self, what: str, value: str) -> None:
        stamp = self.now.strftime("%H:%M:%S.%f")[:-3]
        self.log.append(
            f"{stamp} ({len(self.log) * 1000})|USER_DEBUG|[{self.line}]|ERROR|"
            f"apibrake|{what}|{value}"
        )

    def query(self, soql: str) -> list[dict[str, Any]]:
        try:
            result = run(
                soql,
                self.org.records,
                self.now,
                tooling=False,
                base=f"/services/data/v{self.org.settings.api_versions[-1]}",
                hidden=hidden_types(self.org),
            )
        except SoqlError as exc:
            raise _CompileError(exc.message, self.line) from None
        return result.records


def _serialize(record: dict[str, Any]) -> str:
    return json.dumps(record, separators=(",", ":"))


def _bind(soql: str, name: str, value: str) -> str:
    return soql.replace(name, f"'{value}'")


def run_block(org: SalesforceOrg, body: str) -> tuple[dict[str, object], str]:
    """(the executeAnonymous result's fields, the debug log)."""
    block = _Block(org)
    lines = body.split("\n")
    try:
        actions = _compile(org, lines)
    except _CompileError as error:
        return _result(False, False, compile_problem=error.problem, line=error.line), ""
    org.begin()
    try:
        for number, action in actions:
            block.line = number
            action(block)
    except ApexException as exc:
        org.rollback()
        block.log.append(f"|FATAL_ERROR|{exc}")
        return _result(True, False, exception=str(exc), line=block.line), _log(block)
    org.commit()
    return _result(True, True), _log(block)


def _compile(org: SalesforceOrg, lines: list[str]) -> list[tuple[int, Callable[[_Block], None]]]:
    if not lines or not _ME.fullmatch(lines[0]):
        raise _CompileError(
            "Unexpected token: the sandbox runs apibrake's break-glass blocks only", 1
        )
    actions: list[tuple[int, Callable[[_Block], None]]] = [(1, _me)]
    for number, text in enumerate(lines[1:], start=2):
        if _END.fullmatch(text) and number == len(lines):
            actions.append((number, _end))
        elif found := _JOB.fullmatch(text):
            actions.append((number, _job_action(*found.groups())))
        elif found := _SETTING.fullmatch(text):
            actions.append((number, _setting_action(org, number, found)))
        elif found := _USER.fullmatch(text):
            actions.append((number, _user_action(*found.groups())))
        else:
            token = re.match(r"\w+|\S", text)
            raise _CompileError(f"Unexpected token '{token.group(0) if token else ''}'.", number)
    return actions


def _me(block: _Block) -> None:
    settings = block.org.settings
    block.debug("me", f"{settings.user_id}|{settings.user_time_zone}")


def _end(block: _Block) -> None:
    block.debug("end", "")


def _job_action(jobs: str, classes: str, allow: str | None) -> Callable[[_Block], None]:
    def act(block: _Block) -> None:
        settings = block.org.settings
        for trigger in block.query(jobs):
            block.debug("job", _serialize(trigger))
            for job in block.query(_bind(classes, ":t.Id", str(trigger["Id"]))):
                block.debug("class", _serialize(job))
            if allow is None:
                continue
            exact = (
                ids.short(str(trigger.get("OwnerId"))) == ids.short(settings.user_id)
                and trigger.get("EndTime") is None
                and trigger.get("TimeZoneSidKey") == settings.user_time_zone
            )
            if allow == "true" or exact:
                block.org.abort_job(str(trigger["Id"]))

    return act


def _setting_action(
    org: SalesforceOrg, number: int, found: re.Match[str]
) -> Callable[[_Block], None]:
    type_name, var, called_on, printed, change = found.groups()
    setting = org.records.settings.get(type_name.lower())
    if type_name != called_on or var != printed or setting is None or not setting.hierarchy:
        raise _CompileError(f"Invalid type: {type_name}", number)
    if setting.name.lower() in hidden_types(org):
        raise _CompileError(f"Invalid type: {type_name}", number)
    values: dict[str, bool] = {}
    for field, value in _ASSIGN.findall(change or ""):
        name = setting.field_name(field)
        if name is None:
            raise _CompileError(f"Variable does not exist: {field}", number)
        values[name] = value == "true"

    def act(block: _Block) -> None:
        switches = block.org.switches
        row = switches.org_row(setting)
        record: dict[str, Any] = {"attributes": {"type": setting.name}}
        if row is not None:
            record.update(
                Id=row.id,
                SetupOwnerId=row.setup_owner_id,
                LastModifiedDate=timestamp(row.last_modified),
                **{f: bool(row.values.get(f)) for f in setting.fields},
            )
        else:
            record.update(SetupOwnerId=block.org.settings.org_id)
        block.debug("setting", _serialize(record))
        if change is None:
            return
        block.changing(setting.name, setup=False)
        if row is None:
            created = switches.create_row(setting, block.org.settings.org_id, values, "api")

            def forget() -> None:
                setting.rows.pop(ids.short(created.id), None)

            block.org.on_rollback(forget)
        else:
            old = (dict(row.values), row.last_modified)
            switches.set_value(row, setting, values, "api")

            def undo() -> None:
                row.values, row.last_modified = old

            block.org.on_rollback(undo)

    return act


def _user_action(users: str, logins: str, freeze: str | None) -> Callable[[_Block], None]:
    def act(block: _Block) -> None:
        org = block.org
        for user_record in block.query(users):
            block.debug("user", _serialize(user_record))
            for login in block.query(_bind(logins, ":u.Id", str(user_record["Id"]))):
                block.debug("login", _serialize(login))
                key = ids.short(str(user_record["Id"]))
                user = next(u for u in org.records.users.values() if ids.short(u.id) == key)
                mine = ids.short(user.id) == ids.short(org.settings.user_id)
                if freeze is None or not user.is_active or user.frozen or mine:
                    continue
                block.changing("UserLogin", setup=True)
                old = (user.frozen, user.login_modified, user.stopped_at)
                org.switches.set_frozen(user, True, "api")

                def undo(user: Any = user, old: Any = old) -> None:
                    user.frozen, user.login_modified, user.stopped_at = old

                org.on_rollback(undo)

    return act


def _result(
    compiled: bool,
    success: bool,
    *,
    compile_problem: str | None = None,
    exception: str | None = None,
    line: int = -1,
) -> dict[str, object]:
    return {
        "column": 1 if line > 0 else -1,
        "compileProblem": compile_problem,
        "compiled": compiled,
        "exceptionMessage": exception,
        "exceptionStackTrace": f"AnonymousBlock: line {line}, column 1" if exception else None,
        "line": line,
        "success": success,
    }


def _log(block: _Block) -> str:
    version = block.org.settings.api_versions[-1]
    return "\n".join(
        [
            f"{version} APEX_CODE,ERROR",
            "|EXECUTION_STARTED",
            "|CODE_UNIT_STARTED|[EXTERNAL]|execute_anonymous_apex",
            *block.log,
            "|CODE_UNIT_FINISHED|execute_anonymous_apex",
            "|EXECUTION_FINISHED",
        ]
    )
