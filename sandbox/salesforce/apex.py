"""The two anonymous Apex statements the sandbox understands, and the executeAnonymous result.

    System.abortJob('<CronTrigger id>');
    System.schedule('<name>', '<cron>', new <Class>());   (or new <namespace>.<Class>())

One or many per body, whitespace tolerant, case-insensitive like Apex. Anything else does not
compile.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_STRING = r"'((?:[^'\\]|\\.)*)'"
_ABORT = re.compile(rf"System\s*\.\s*abortJob\s*\(\s*{_STRING}\s*\)\s*;", re.IGNORECASE)
_SCHEDULE = re.compile(
    rf"(?:\w+\s+\w+\s*=\s*)?System\s*\.\s*schedule\s*\(\s*{_STRING}\s*,\s*{_STRING}\s*,"
    r"\s*new\s+(\w+(?:\s*\.\s*\w+)?)\s*\(\s*\)\s*\)\s*;",
    re.IGNORECASE,
)
_SPACE_OR_COMMENT = re.compile(r"(?:\s+|//[^\n]*|/\*.*?\*/)*", re.DOTALL)


@dataclass(frozen=True)
class AbortJob:
    job_id: str
    line: int
    column: int


@dataclass(frozen=True)
class ScheduleJob:
    name: str
    cron: str
    class_name: str
    line: int
    column: int


Statement = AbortJob | ScheduleJob


class ApexException(Exception):
    """An exception the statements would throw at run time; the message starts with its type."""


class ApexCompileError(Exception):
    def __init__(self, problem: str, line: int, column: int) -> None:
        super().__init__(problem)
        self.problem, self.line, self.column = problem, line, column


@dataclass(frozen=True)
class ApexResult:
    line: int = -1
    column: int = -1
    compiled: bool = True
    success: bool = True
    compile_problem: str | None = None
    exception_message: str | None = None
    exception_stack_trace: str | None = None

    @classmethod
    def compile_failure(cls, error: ApexCompileError) -> ApexResult:
        return cls(error.line, error.column, False, False, error.problem)

    @classmethod
    def exception(cls, message: str, line: int, column: int) -> ApexResult:
        trace = f"AnonymousBlock: line {line}, column {column}"
        return cls(line, column, True, False, None, message, trace)

    def payload(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "column": self.column,
            "compiled": self.compiled,
            "success": self.success,
            "compileProblem": self.compile_problem,
            "exceptionStackTrace": self.exception_stack_trace,
            "exceptionMessage": self.exception_message,
        }


def parse(body: str) -> list[Statement]:
    statements: list[Statement] = []
    position = _skip(body, 0)
    while position < len(body):
        line, column = _line_column(body, position)
        if found := _ABORT.match(body, position):
            statements.append(AbortJob(_unescape(found.group(1)), line, column))
        elif found := _SCHEDULE.match(body, position):
            name, cron, class_name = found.groups()
            class_name = re.sub(r"\s+", "", class_name)
            statements.append(
                ScheduleJob(_unescape(name), _unescape(cron), class_name, line, column)
            )
        else:
            token = re.match(r"\w+|\S", body[position:])
            text = token.group(0) if token else body[position]
            raise ApexCompileError(f"Unexpected token '{text}'.", line, column)
        position = _skip(body, found.end())
    return statements


def _skip(body: str, position: int) -> int:
    found = _SPACE_OR_COMMENT.match(body, position)
    return found.end() if found else position


def _line_column(body: str, position: int) -> tuple[int, int]:
    line = body.count("\n", 0, position) + 1
    return line, position - (body.rfind("\n", 0, position) + 1) + 1


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)
