"""Anonymous Apex through `tooling/executeAnonymous/`: URL size and result shape."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from apibrake.http.errors import MalformedResponse
from apibrake.http.parsing import as_int
from apibrake.platforms.salesforce.errors import SALESFORCE

# Salesforce refuses a URI and headers over 16,384 bytes together: this is the hard stop...
MAX_ANONYMOUS_URL_BYTES = 16000
# ... and it recommends URIs of at most 2,000 characters (help article 000386264): bodies
# are packed to stay inside that, the host included.
RECOMMENDED_URI_CHARS = 2000
ALREADY_ABORTED = "Job does not exist or is already aborted"


def anonymous_path(api_version: str) -> str:
    return f"/services/data/v{api_version}/tooling/executeAnonymous/"


def anonymous_url_bytes(apex: str, api_version: str) -> int:
    """Bytes of path and query (the host excluded) for this Apex body."""
    query = urlencode({"anonymousBody": apex})
    return len(anonymous_path(api_version).encode()) + 1 + len(query.encode())


def fits_anonymous_url(apex: str, api_version: str = "62.0") -> bool:
    return anonymous_url_bytes(apex, api_version) <= MAX_ANONYMOUS_URL_BYTES


def within_recommended_uri(apex: str, instance_url: str, api_version: str) -> bool:
    """Whether the whole URI (scheme and host included) stays within 2,000 characters."""
    return len(instance_url) + anonymous_url_bytes(apex, api_version) <= RECOMMENDED_URI_CHARS


@dataclass(frozen=True)
class ExecuteAnonymousResult:
    compiled: bool
    success: bool
    compile_problem: str | None = None
    exception_message: str | None = None
    exception_stack_trace: str | None = None
    line: int = -1
    column: int = -1

    @property
    def problem(self) -> str | None:
        """Why it failed, in Salesforce's words; None when it ran."""
        if self.compiled and self.success:
            return None
        return self.compile_problem or self.exception_message or "failed without a message"

    @property
    def job_already_gone(self) -> bool:
        """`System.abortJob` on a job that no longer runs: already stopped, not a failure."""
        return ALREADY_ABORTED.lower() in (self.exception_message or "").lower()


def parse_execute_anonymous(body: Any) -> ExecuteAnonymousResult:
    if not isinstance(body, dict) or not isinstance(body.get("compiled"), bool):
        raise MalformedResponse(SALESFORCE, "unreadable executeAnonymous response: no 'compiled'")
    success = body.get("success")
    return ExecuteAnonymousResult(
        compiled=body["compiled"],
        success=success is True,
        compile_problem=_text(body.get("compileProblem")),
        exception_message=_text(body.get("exceptionMessage")),
        exception_stack_trace=_text(body.get("exceptionStackTrace")),
        line=_int_or_unknown(body.get("line")),
        column=_int_or_unknown(body.get("column")),
    )


def _text(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


def _int_or_unknown(value: object) -> int:
    number = as_int(value)
    return -1 if number is None else number
