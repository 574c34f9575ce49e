"""The break-glass channel's wire format: the SOAP envelope, the answer and its debug log,
SOAP faults as apibrake's errors."""

from __future__ import annotations

import httpx
import pytest

from apibrake.http.errors import AuthenticationFailed, DailyLimitExhausted, RequestRejected
from apibrake.http.profile import CallKind
from apibrake.platforms.salesforce import apex_blocks
from apibrake.platforms.salesforce.apex_soap import envelope, parse_response
from apibrake.platforms.salesforce.errors import (
    DebuggingAllocationSpent,
    classify_salesforce_error,
)

ANSWER = b"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
 xmlns="http://soap.sforce.com/2006/08/apex" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<soapenv:Header><DebuggingInfo><debugLog>62.0 APEX_CODE,ERROR
10:00:00.001 (1000)|USER_DEBUG|[1]|ERROR|apibrake|me|005000000000001AAA|Europe/Paris
10:00:00.002 (2000)|USER_DEBUG|[2]|ERROR|apibrake|user|{"Id":"005x","Username":"a|b@x.com"}
10:00:00.003 (3000)|USER_DEBUG|[2]|DEBUG|someone else's line
10:00:00.004 (4000)|USER_DEBUG|[2]|ERROR|apibrake|login|not json
</debugLog></DebuggingInfo></soapenv:Header>
<soapenv:Body><executeAnonymousResponse><result><column>-1</column>
<compileProblem xsi:nil="true"/><compiled>true</compiled>
<exceptionMessage xsi:nil="true"/><exceptionStackTrace xsi:nil="true"/>
<line>-1</line><success>true</success></result></executeAnonymousResponse></soapenv:Body>
</soapenv:Envelope>"""


def _fault(code: str, message: str) -> httpx.Response:
    body = (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
        f"<soapenv:Body><soapenv:Fault><faultcode>{code}</faultcode>"
        f"<faultstring>{message}</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    )
    return httpx.Response(500, content=body.encode(), headers={"Content-Type": "text/xml"})


def test_the_envelope_escapes_the_apex_and_asks_for_the_least_log() -> None:
    body = envelope("System.debug('a<b&c');", "00D!token").decode()
    assert "System.debug('a&lt;b&amp;c');" in body
    assert "<apex:sessionId>00D!token</apex:sessionId>" in body
    assert "<apex:category>Apex_code</apex:category><apex:level>Error</apex:level>" in body


def test_the_answer_gives_the_result_and_the_printed_states() -> None:
    answer = parse_response(ANSWER)
    assert answer.result.problem is None
    printed = apex_blocks.parse_log(answer.debug_log)
    assert (printed.user_id, printed.time_zone) == ("005000000000001AAA", "Europe/Paris")
    assert printed.users == [{"Id": "005x", "Username": "a|b@x.com"}]  # pipes in values kept
    assert printed.logins == []  # an unreadable value is ignored, not guessed


def test_a_log_without_the_first_line_is_incomplete() -> None:
    assert apex_blocks.parse_log("").complete is False


@pytest.mark.parametrize(
    ("code", "message", "expected"),
    [
        (
            "sf:UNKNOWN_EXCEPTION",
            "This org has reached its daily usage limit of apex log headers",
            DebuggingAllocationSpent,
        ),
        ("sf:REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.", DailyLimitExhausted),
        (
            "sf:INVALID_SESSION_ID",
            "INVALID_SESSION_ID: Invalid Session ID found",
            AuthenticationFailed,
        ),
        ("soapenv:Client", "No operation available", RequestRejected),
    ],
)
def test_soap_faults_become_apibrake_errors(code: str, message: str, expected: type) -> None:
    error = classify_salesforce_error(_fault(code, message), CallKind.API)
    assert type(error) is expected


def test_a_setting_statement_takes_only_apex_names() -> None:
    with pytest.raises(ValueError, match="not Apex names"):
        apex_blocks.setting_statement("Bad'Name", {"F__c": True}, 0)


def test_a_username_is_quoted_and_protected_ids_are_left_out() -> None:
    statement = apex_blocks.user_statement("o'hara@x.com", excluded_ids=["005000000000001"])
    assert "Username='o\\'hara@x.com' AND Id NOT IN ('005000000000001')" in statement
