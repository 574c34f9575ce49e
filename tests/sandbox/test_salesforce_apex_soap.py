"""The Apex SOAP API's executeAnonymous with a DebuggingHeader: served after the daily
limit is spent while REST is refused, counted against the org's 1,000 a day, the debug log
in the DebuggingInfo header, and exactly the break-glass templates interpreted (apibrake's
own, so the sandbox and the code cannot drift apart)."""

from __future__ import annotations

from datetime import timedelta

import httpx

from apibrake.platforms.salesforce import apex_blocks
from apibrake.platforms.salesforce.apex_soap import DebuggedResult, envelope, parse_response
from apibrake.platforms.salesforce.errors import soap_fault
from tests.sandbox.salesforce_support import OrgClient

SOAP = "/services/Soap/s/62.0"
SWITCH_SETTING = "Switches__c"


def _soap(sf: OrgClient, apex: str, *, debugging: bool = True) -> httpx.Response:
    body = envelope(apex, str(sf.token))
    if not debugging:
        start, end = body.index(b"<apex:DebuggingHeader>"), body.index(b"</apex:DebuggingHeader>")
        body = body[:start] + body[end + len(b"</apex:DebuggingHeader>") :]
    return sf.http.post(
        SOAP, content=body, headers={"Content-Type": "text/xml", "SOAPAction": '""'}
    )


def _run(sf: OrgClient, *statements: str) -> DebuggedResult:
    response = _soap(sf, apex_blocks.block(statements))
    assert response.status_code == 200, response.text
    return parse_response(response.content)


def _exhaust(sf: OrgClient) -> None:
    used, limit = sf.org.usage()
    sf.org.add_usage(limit - used + 10)


def test_rest_is_refused_while_soap_with_the_header_is_served(sf: OrgClient) -> None:
    # Given an org past its daily limit
    sf.org.switches.add_setting(SWITCH_SETTING, {"Disable__c": False})
    _exhaust(sf)
    # Then REST is refused, SOAP without a DebuggingHeader too, SOAP with one is served
    assert sf.query("SELECT Id FROM Organization").status_code == 403
    refused = _soap(sf, apex_blocks.block([]), debugging=False)
    assert refused.status_code == 500
    assert soap_fault(refused.content) == (
        "REQUEST_LIMIT_EXCEEDED",
        "TotalRequests Limit exceeded.",
    )
    answer = _run(sf, apex_blocks.setting_statement(SWITCH_SETTING, {"Disable__c": True}, 0))
    assert answer.result.problem is None
    assert sf.org.switches.org_default(f"{SWITCH_SETTING}.Disable__c") is True
    # And the debug log prints the state before the change
    printed = apex_blocks.parse_log(answer.debug_log)
    assert printed.user_id == sf.org.settings.user_id
    assert printed.settings[0]["Disable__c"] is False
    assert sf.org.debugging_allocation.used(sf.org.clock.now()) == 1


def test_the_allocation_is_a_thousand_a_day(sf: OrgClient) -> None:
    # Given an org that made its 1,000 calls with a DebuggingHeader
    now = sf.org.clock.now()
    for _ in range(sf.org.settings.debugging_calls_per_day):
        sf.org.debugging_allocation.spend(now)
    # Then the next one is refused with Salesforce's words, until a day has passed
    refused = _soap(sf, apex_blocks.block([]))
    assert refused.status_code == 500
    fault = soap_fault(refused.content)
    assert fault is not None
    assert "apex log headers" in fault[1]
    sf.sandbox.clock.advance(timedelta(hours=24, seconds=1))
    sf.login()
    assert _soap(sf, apex_blocks.block([])).status_code == 200


def test_a_job_is_aborted_only_when_it_comes_back_exactly(sf: OrgClient) -> None:
    # Given a job apibrake's user owns and one another user owns
    zone = sf.org.settings.user_time_zone
    sf.org.add_scheduled_job("Mine", cron="0 0 2 * * ?", apex_class="MineJob", time_zone=zone)
    sf.org.add_scheduled_job(
        "Theirs",
        cron="0 0 3 * * ?",
        apex_class="TheirJob",
        time_zone=zone,
        owner_id="005OTHER000000",
    )
    # When one block names both (no inexact restore allowed)
    answer = _run(
        sf,
        apex_blocks.job_statement("Mine", allow_inexact=False),
        apex_blocks.job_statement("Theirs", allow_inexact=False),
    )
    # Then both are printed with their classes, and only the exact one is aborted
    printed = apex_blocks.parse_log(answer.debug_log)
    assert [j["CronJobDetail"]["Name"] for j in printed.jobs] == ["Mine", "Theirs"]
    assert [c["ApexClass"]["Name"] for c in printed.classes] == ["MineJob", "TheirJob"]
    assert sf.org.job("Mine") is None
    assert sf.org.job("Theirs") is not None


def test_a_user_is_frozen_and_the_read_only_form_changes_nothing(sf: OrgClient) -> None:
    etl = sf.org.switches.add_integration_user("etl@acme.com")
    read = _run(sf, apex_blocks.user_statement("etl@acme.com", change=False))
    assert apex_blocks.parse_log(read.debug_log).logins[0]["IsFrozen"] is False
    assert etl.frozen is False
    _run(sf, apex_blocks.user_statement("etl@acme.com"))
    assert etl.frozen is True


def test_a_statement_outside_the_templates_fails_the_whole_block(sf: OrgClient) -> None:
    # Given a block with a template and one statement apibrake never sends
    sf.org.switches.add_setting(SWITCH_SETTING, {"Disable__c": False})
    body = apex_blocks.block(
        [apex_blocks.setting_statement(SWITCH_SETTING, {"Disable__c": True}, 0)]
    )
    ok = _soap(sf, body + "\nSystem.abortJob('08e000000000001');")
    # Then a statement outside the templates does not compile, and nothing changed
    result = parse_response(ok.content).result
    assert result.compiled is False
    assert sf.org.switches.org_default(f"{SWITCH_SETTING}.Disable__c") is False


def test_a_setting_the_user_cannot_see_does_not_compile(sf: OrgClient) -> None:
    answer = _run(sf, apex_blocks.setting_statement("Missing__c", {"Disable__c": True}, 0))
    assert answer.result.compiled is False
    assert "Invalid type" in (answer.result.compile_problem or "")


def test_a_freeze_and_a_setting_in_one_block_fail_as_mixed_dml(sf: OrgClient) -> None:
    # Given a switch and a user: DML on a setup object (UserLogin) and on a custom setting
    sf.org.switches.add_setting(SWITCH_SETTING, {"Disable__c": False})
    etl = sf.org.switches.add_integration_user("etl@acme.com")
    # When one block changes both
    answer = _run(
        sf,
        apex_blocks.setting_statement(SWITCH_SETTING, {"Disable__c": True}, 0),
        apex_blocks.user_statement("etl@acme.com"),
    )
    # Then it fails as Salesforce's MIXED_DML_OPERATION, and rolls back the setting too
    assert "MIXED_DML_OPERATION" in (answer.result.exception_message or "")
    assert sf.org.switches.org_default(f"{SWITCH_SETTING}.Disable__c") is False
    assert etl.frozen is False


def test_a_whole_log_ends_with_the_blocks_end_marker(sf: OrgClient) -> None:
    sf.org.switches.add_setting(SWITCH_SETTING, {"Disable__c": False})
    answer = _run(sf, apex_blocks.setting_statement(SWITCH_SETTING, {"Disable__c": True}, 0))
    printed = apex_blocks.parse_log(answer.debug_log)
    assert printed.ended
    assert printed.complete


def test_a_log_cut_at_either_end_is_told_from_a_whole_one(sf: OrgClient) -> None:
    # Given an org whose debug log comes back cut, and a block that ran and committed
    sf.org.switches.add_setting(SWITCH_SETTING, {"Disable__c": False})
    sf.org.settings.debug_log_max_chars = 200
    statement = apex_blocks.setting_statement(SWITCH_SETTING, {"Disable__c": True}, 0)
    for loses, first_line, end_marker in (("older", False, True), ("newer", True, False)):
        sf.org.settings.debug_log_loses = loses
        answer = _run(sf, statement)
        # Then the block succeeded, its log is cut at that end, and the parse says so
        assert answer.result.problem is None
        assert len(answer.debug_log) == 200
        printed = apex_blocks.parse_log(answer.debug_log)
        assert (printed.user_id is not None, printed.ended) == (first_line, end_marker)
        assert not printed.complete
    assert sf.org.switches.org_default(f"{SWITCH_SETTING}.Disable__c") is True


def test_the_end_marker_is_only_a_blocks_last_line(sf: OrgClient) -> None:
    body = "\n".join([apex_blocks.ME, apex_blocks.END, apex_blocks.END])
    response = _soap(sf, body)
    assert response.status_code == 200
    assert parse_response(response.content).result.problem is not None
