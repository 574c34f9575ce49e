"""The Apex SOAP API's `executeAnonymous` (`POST /services/Soap/s/<version>`), as the
break-glass channel calls it: the envelope's SessionHeader (the OAuth access token) and
DebuggingHeader, the org's allocation of calls with a DebuggingHeader (1,000 in 24 hours,
served even after the daily limit is spent), faults, and the answer with the
`DebuggingInfo` header's debug log (docs/platform-notes.md S9).

Which Apex runs is sandbox/salesforce/apex_blocks.py's: exactly the break-glass templates.
Fault codes and strings: `REQUEST_LIMIT_EXCEEDED` and `INVALID_SESSION_ID` are the API's
usual ones; the allocation's words are quoted from a public report of the error (its fault
code is not documented: UNKNOWN_EXCEPTION here is assumed).
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from sandbox.http import Request, Response
from sandbox.salesforce import permissions
from sandbox.salesforce.apex_blocks import run_block
from sandbox.salesforce.callers import request_caller

if TYPE_CHECKING:
    from sandbox.salesforce.org import SalesforceOrg

SOAP_PREFIX = "/services/Soap/s/"
APEX = "http://soap.sforce.com/2006/08/apex"
ENVELOPE = "http://schemas.xmlsoap.org/soap/envelope/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
ALLOCATION_SPENT = "This org has reached its daily usage limit of apex log headers"
_DAY = timedelta(hours=24)


class DebuggingAllocation:
    """The org's calls with a DebuggingHeader in the last 24 hours."""

    def __init__(self) -> None:
        self._calls: deque[datetime] = deque()

    def used(self, now: datetime) -> int:
        while self._calls and self._calls[0] <= now - _DAY:
            self._calls.popleft()
        return len(self._calls)

    def spend(self, now: datetime) -> None:
        self._calls.append(now)


def handle_soap(org: SalesforceOrg, request: Request) -> Response:
    now = org.clock.now()
    version = request.path[len(SOAP_PREFIX) :].strip("/")
    if request.method != "POST" or version not in org.settings.api_versions:
        return fault("sf:NOT_FOUND", "The requested resource does not exist", 404)
    try:
        root = ElementTree.fromstring(request.body)  # noqa: S314 - the test's own client
    except ElementTree.ParseError as exc:
        return fault("soapenv:Client", f"unreadable envelope: {exc}")
    session = root.findtext(f".//{{{APEX}}}SessionHeader/{{{APEX}}}sessionId")
    if not org.sessions.is_valid(session, now):
        return fault("sf:INVALID_SESSION_ID", "INVALID_SESSION_ID: Invalid Session ID found")
    if not org.settings.grants(permissions.API_ENABLED):
        return fault("sf:API_DISABLED_FOR_ORG", "API_DISABLED_FOR_ORG: API is not enabled")
    apex = root.findtext(f".//{{{APEX}}}executeAnonymous/{{{APEX}}}String")
    if apex is None:
        return fault("soapenv:Client", "No operation available for request executeAnonymous")
    debugging = root.find(f".//{{{APEX}}}DebuggingHeader") is not None
    used, _ = org.usage()
    if debugging:
        if org.debugging_allocation.used(now) >= org.settings.debugging_calls_per_day:
            return fault("sf:UNKNOWN_EXCEPTION", ALLOCATION_SPENT)
        org.debugging_allocation.spend(now)
    elif used >= org.hard_cap():
        return fault("sf:REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
    org.count_call(request_caller(org.settings, request))
    if not org.settings.grants(permissions.AUTHOR_APEX):
        return fault(
            "sf:INSUFFICIENT_ACCESS", "INSUFFICIENT_ACCESS: user lacks the Author Apex permission"
        )
    result, log = run_block(org, apex)
    return _answer(result, _cut(org, log) if debugging else None)


def _cut(org: SalesforceOrg, log: str) -> str:
    """The log as the org returns it: cut to its size limit when one is set."""
    limit = org.settings.debug_log_max_chars
    if limit is None or len(log) <= limit:
        return log
    return log[len(log) - limit :] if org.settings.debug_log_loses == "older" else log[:limit]


def fault(code: str, message: str, status: int = 500) -> Response:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{ENVELOPE}" '
        f'xmlns:sf="urn:fault.partner.soap.sforce.com"><soapenv:Body><soapenv:Fault>'
        f"<faultcode>{escape(code)}</faultcode><faultstring>{escape(message)}</faultstring>"
        "</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    )
    return Response(status, body.encode(), {"Content-Type": "text/xml;charset=UTF-8"})


def _answer(result: dict[str, object], log: str | None) -> Response:
    header = (
        f"<soapenv:Header><DebuggingInfo><debugLog>{escape(log)}</debugLog></DebuggingInfo>"
        "</soapenv:Header>"
        if log is not None
        else ""
    )
    fields = "".join(_field(name, value) for name, value in result.items())
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{ENVELOPE}" '
        f'xmlns="{APEX}" xmlns:xsi="{XSI}">{header}<soapenv:Body><executeAnonymousResponse>'
        f"<result>{fields}</result></executeAnonymousResponse></soapenv:Body></soapenv:Envelope>"
    )
    return Response(200, body.encode(), {"Content-Type": "text/xml;charset=UTF-8"})


def _field(name: str, value: object) -> str:
    if value is None:
        return f'<{name} xsi:nil="true"/>'
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return f"<{name}>{escape(text)}</{name}>"
