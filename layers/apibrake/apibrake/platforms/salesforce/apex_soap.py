"""Anonymous Apex through the Apex SOAP API with a `DebuggingHeader`: the break-glass channel.

Salesforce documents (SOAP API, DebuggingHeader; docs/platform-notes.md S9): "Calls that
include DebuggingHeader are limited to 1,000 in a 24-hour period. You can continue to make
these calls even after reaching the total request limit for an org." The call is
`executeanonymous()` at `/services/Soap/s/<version>` (Apex guide, "SOAP API and SOAP
Headers for Apex"); the session header carries the OAuth access token; the debug log comes
back in the `DebuggingInfo` response header (`debugLog`); the result has the same fields
as the REST one (`compiled`, `success`, `compileProblem`, `exceptionMessage`, ...).

apibrake uses it only when REST is refused for the daily limit (brake/break_glass.py), and
asks for the least log that carries what it prints: `Apex_code` at `Error`, the level its
`System.debug(LoggingLevel.ERROR, ...)` lines are written at.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from apibrake.http.errors import MalformedResponse
from apibrake.platforms.salesforce.errors import SALESFORCE
from apibrake.platforms.salesforce.execute_anonymous import (
    ExecuteAnonymousResult,
    parse_execute_anonymous,
)

APEX_NAMESPACE = "http://soap.sforce.com/2006/08/apex"
ENVELOPE_NAMESPACE = "http://schemas.xmlsoap.org/soap/envelope/"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
# The log category and level the break-glass blocks print at (LoggingLevel.ERROR).
LOG_CATEGORY, LOG_LEVEL = "Apex_code", "Error"
SOAP_HEADERS = {"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": '""'}
_RESULT_FIELDS = (
    "compiled",
    "success",
    "compileProblem",
    "exceptionMessage",
    "exceptionStackTrace",
    "line",
    "column",
)


def soap_path(api_version: str) -> str:
    return f"/services/Soap/s/{api_version}"


def envelope(apex: str, session_id: str) -> bytes:
    """The executeAnonymous request with SessionHeader and DebuggingHeader."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<env:Envelope xmlns:env="{ENVELOPE_NAMESPACE}" xmlns:apex="{APEX_NAMESPACE}">'
        "<env:Header>"
        f"<apex:SessionHeader><apex:sessionId>{escape(session_id)}</apex:sessionId>"
        "</apex:SessionHeader>"
        "<apex:DebuggingHeader><apex:categories>"
        f"<apex:category>{LOG_CATEGORY}</apex:category><apex:level>{LOG_LEVEL}</apex:level>"
        "</apex:categories></apex:DebuggingHeader>"
        "</env:Header>"
        "<env:Body><apex:executeAnonymous>"
        f"<apex:String>{escape(apex)}</apex:String>"
        "</apex:executeAnonymous></env:Body></env:Envelope>"
    ).encode()


@dataclass(frozen=True)
class DebuggedResult:
    result: ExecuteAnonymousResult
    debug_log: str  # the DebuggingInfo header's debugLog ("" when it sent none)


def parse_response(content: bytes) -> DebuggedResult:
    """The executeAnonymousResponse's result and the DebuggingInfo header's log."""
    try:
        root = ElementTree.fromstring(content)  # noqa: S314 - our own org's answer, no DTDs
    except ElementTree.ParseError as error:
        raise MalformedResponse(SALESFORCE, f"unreadable SOAP answer: {error}") from None
    result = root.find(
        f".//{{{APEX_NAMESPACE}}}executeAnonymousResponse/{{{APEX_NAMESPACE}}}result"
    )
    if result is None:
        raise MalformedResponse(SALESFORCE, "SOAP answer without an executeAnonymous result")
    values: dict[str, object] = {}
    for name in _RESULT_FIELDS:
        element = result.find(f"{{{APEX_NAMESPACE}}}{name}")
        if element is None or element.get(f"{{{_XSI}}}nil") == "true":
            continue
        text = element.text or ""
        values[name] = text == "true" if name in ("compiled", "success") else text
    log = root.find(f".//{{{APEX_NAMESPACE}}}DebuggingInfo/{{{APEX_NAMESPACE}}}debugLog")
    return DebuggedResult(
        parse_execute_anonymous(values), (log.text or "") if log is not None else ""
    )
