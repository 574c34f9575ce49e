from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx

from apibrake.http import DailyLimitExhausted, MalformedResponse, PlatformHttp
from apibrake.http.errors import PlatformError
from apibrake.models.credentials import SALESFORCE_CREDENTIALS
from apibrake.models.usage import ReadingSource
from apibrake.platforms.salesforce.client import SalesforceClient
from apibrake.platforms.salesforce.execute_anonymous import (
    MAX_ANONYMOUS_URL_BYTES,
    fits_anonymous_url,
)
from apibrake.platforms.salesforce.models import CompositeSubrequest

pytestmark = pytest.mark.anyio

MakeHttp = Callable[..., PlatformHttp]
INSTANCE = "https://acme.my.salesforce.com"
DATA = f"{INSTANCE}/services/data/v62.0"
FLOW_ID = "300xx0000000001AAA"
ALREADY_ABORTED = "System.StringException: Job does not exist or is already aborted."


@pytest.fixture
def client(router: respx.MockRouter, make_http: MakeHttp) -> SalesforceClient:
    router.post(f"{INSTANCE}/services/oauth2/token").mock(
        return_value=httpx.Response(200, json={"access_token": "tok", "instance_url": INSTANCE})
    )
    credentials = SALESFORCE_CREDENTIALS.validate_python(
        {
            "auth": "client_credentials",
            "instance_url": INSTANCE,
            "client_id": "id",
            "client_secret": "secret",
            "api_version": "62.0",
        }
    )
    return SalesforceClient(make_http(), credentials, connection_id="sf-test")


async def test_limits_reads_daily_api_requests_and_sends_our_headers(
    router: respx.MockRouter, client: SalesforceClient
) -> None:
    route = router.get(f"{DATA}/limits/").mock(
        return_value=httpx.Response(
            200,
            json={
                "DailyApiRequests": {"Max": 15000, "Remaining": 14000},
                "DailyAsyncApexExecutions": {"Max": 250000, "Remaining": 250000},
            },
            headers={"Sforce-Limit-Info": "api-usage=1001/15000"},
        )
    )

    reading = await client.limits()

    assert (reading.used, reading.limit) == (1000, 15000)
    assert reading.source is ReadingSource.LIMITS_ENDPOINT
    assert reading.taken_at.tzinfo is not None
    request = route.calls.last.request
    assert request.headers["Authorization"] == "Bearer tok"
    assert request.headers["Sforce-Call-Options"] == "client=apibrake"
    assert client.http.last_header_reading is not None
    assert client.http.last_header_reading.used == 1001


async def test_limits_keeps_per_app_entries_and_reads_string_numbers(
    router: respx.MockRouter, client: SalesforceClient
) -> None:
    router.get(f"{DATA}/limits/").mock(
        return_value=httpx.Response(
            200,
            json={
                "DailyApiRequests": {
                    "Max": "15000",
                    "Remaining": "14998",
                    "Salesforce for iOS": {"Max": 0, "Remaining": 0},
                    "HubSpot": {"Max": "5000", "Remaining": "1200"},
                    "Broken App": {"Max": "lots"},
                }
            },
        )
    )

    reading = await client.limits()

    assert (reading.used, reading.limit) == (2, 15000)
    assert reading.per_app == {"Salesforce for iOS": (0, 0), "HubSpot": (3800, 5000)}


async def test_limits_with_usage_over_max(
    router: respx.MockRouter, client: SalesforceClient
) -> None:
    router.get(f"{DATA}/limits/").mock(
        return_value=httpx.Response(200, json={"DailyApiRequests": {"Max": 100, "Remaining": -10}})
    )

    assert (await client.limits()).used == 110


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "DailyApiRequests"),
        ({"DailyApiRequests": {"Max": "many", "Remaining": 1}}, "DailyApiRequests.Max"),
        ({"DailyApiRequests": {"Max": 10}}, "DailyApiRequests.Remaining"),
        ({"DailyApiRequests": {"Max": 10, "Remaining": 11}}, "DailyApiRequests.Remaining"),
        ([], "not a JSON object"),
    ],
)
async def test_unreadable_limits_name_the_field(
    router: respx.MockRouter, client: SalesforceClient, body: object, field: str
) -> None:
    route = router.get(f"{DATA}/limits/").mock(return_value=httpx.Response(200, json=body))

    with pytest.raises(MalformedResponse) as raised:
        await client.limits()

    assert field in str(raised.value)
    assert route.call_count == 2  # one retry, no more


async def test_query_follows_next_records_url_until_done(
    router: respx.MockRouter, client: SalesforceClient
) -> None:
    next_path = "/services/data/v62.0/query/01gxx0000000001-2000"
    first = router.get(f"{DATA}/query/").mock(
        return_value=httpx.Response(
            200,
            json={
                "totalSize": 3,
                "done": False,
                "nextRecordsUrl": next_path,
                "records": [
                    {"attributes": {"type": "Account"}, "Id": "1"},
                    {"attributes": {"type": "Account"}, "Id": "2"},
                ],
            },
        )
    )
    second = router.get(f"{INSTANCE}{next_path}").mock(
        return_value=httpx.Response(
            200, json={"totalSize": 3, "done": True, "records": [{"Id": "3"}]}
        )
    )

    records = await client.query("SELECT Id FROM Account")

    assert [r["Id"] for r in records] == ["1", "2", "3"]
    assert parse_qs(urlsplit(str(first.calls.last.request.url)).query) == {
        "q": ["SELECT Id FROM Account"]
    }
    assert second.call_count == 1
    assert client.http.billable_calls == 2


async def test_tooling_query_uses_the_tooling_endpoint(
    router: respx.MockRouter, client: SalesforceClient
) -> None:
    route = router.get(f"{DATA}/tooling/query/").mock(
        return_value=httpx.Response(
            200,
            json={
                "size": 1,
                "totalSize": 1,
                "done": True,
                "queryLocator": None,
                "entityTypeName": "FlowDefinition",
                "records": [{"Id": FLOW_ID, "ActiveVersion": {"VersionNumber": 3}}],
            },
        )
    )

    records = await client.tooling_query("SELECT Id FROM FlowDefinition")

    assert records[0]["ActiveVersion"] == {"VersionNumber": 3}
    assert route.call_count == 1


async def test_query_never_follows_an_absolute_next_url(
    router: respx.MockRouter, client: SalesforceClient
) -> None:
    router.get(f"{DATA}/query/").mock(
        return_value=httpx.Response(
            200,
            json={"done": False, "nextRecordsUrl": "https://evil.example.com/steal", "records": []},
        )
    )
    evil = router.get("https://evil.example.com/steal")

    with pytest.raises(MalformedResponse):
        await client.query("SELECT Id FROM Account")

    assert evil.call_count == 0


async def test_daily_limit_on_a_query_is_one_call(
    router: respx.MockRouter, client: SalesforceClient
) -> None:
    route = router.get(f"{DATA}/query/").mock(
        return_value=httpx.Response(
            403,
            json=[
                {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
            ],
        )
    )

    with pytest.raises(DailyLimitExhausted):
        await client.query("SELECT Id FROM Account")

    assert route.call_count == 1


async def test_patch_flow_definition_sends_the_version(
    router: respx.MockRouter, client: SalesforceClient
) -> None:
    route = router.patch(f"{DATA}/tooling/sobjects/FlowDefinition/{FLOW_ID}").mock(
        return_value=httpx.Response(204)
    )

    await client.patch_flow_definition(FLOW_ID, 0)

    assert json.loads(route.calls.last.request.content) == {"Metadata": {"activeVersionNumber": 0}}


@pytest.mark.parametrize("bad_id", ["../limits", "300xx/../../x", ""])
async def test_patch_refuses_ids_that_are_not_record_ids(
    client: SalesforceClient, bad_id: str
) -> None:
    with pytest.raises(ValueError, match="record id"):
        await client.patch_flow_definition(bad_id, 1)


async def test_composite_returns_each_result_with_its_errors(
    router: respx.MockRouter, client: SalesforceClient
) -> None:
    route = router.post(f"{DATA}/tooling/composite").mock(
        return_value=httpx.Response(
            200,
            json={
                "compositeResponse": [
                    {"body": None, "httpHeaders": {}, "httpStatusCode": 204, "referenceId": "f1"},
                    {
                        "body": [{"errorCode": "INSUFFICIENT_ACCESS", "message": "no access"}],
                        "httpHeaders": {},
                        "httpStatusCode": 400,
                        "referenceId": "f2",
                    },
                ]
            },
        )
    )
    subrequests = [
        client.flow_definition_subrequest(FLOW_ID, 0, "f1"),
        client.flow_definition_subrequest("300xx0000000002AAA", 0, "f2"),
    ]

    results = await client.tooling_composite(subrequests)

    assert [(r.reference_id, r.status, r.ok) for r in results] == [
        ("f1", 204, True),
        ("f2", 400, False),
    ]
    assert results[1].errors[0].error_code == "INSUFFICIENT_ACCESS"
    sent = json.loads(route.calls.last.request.content)
    assert sent["allOrNone"] is False
    assert sent["compositeRequest"][0] == {
        "method": "PATCH",
        "url": f"/services/data/v62.0/tooling/sobjects/FlowDefinition/{FLOW_ID}",
        "referenceId": "f1",
        "body": {"Metadata": {"activeVersionNumber": 0}},
    }


async def test_composite_refuses_more_than_25_without_a_call(
    router: respx.MockRouter, client: SalesforceClient
) -> None:
    route = router.post(f"{DATA}/tooling/composite")
    subrequests = [CompositeSubrequest("PATCH", "/x", f"r{i}") for i in range(26)]

    with pytest.raises(ValueError, match="at most 25"):
        await client.tooling_composite(subrequests)
    assert await client.tooling_composite([]) == []

    assert route.call_count == 0


async def test_composite_without_status_codes_is_malformed(
    router: respx.MockRouter, client: SalesforceClient
) -> None:
    router.post(f"{DATA}/tooling/composite").mock(
        return_value=httpx.Response(200, json={"compositeResponse": [{"referenceId": "f1"}]})
    )

    with pytest.raises(MalformedResponse):
        await client.tooling_composite([client.flow_definition_subrequest(FLOW_ID, 0, "f1")])


@pytest.mark.parametrize(
    ("body", "ok", "problem", "already_gone"),
    [
        (
            {
                "line": -1,
                "column": -1,
                "compiled": True,
                "success": True,
                "compileProblem": None,
                "exceptionStackTrace": None,
                "exceptionMessage": None,
            },
            True,
            None,
            False,
        ),
        (
            {
                "line": 1,
                "column": 13,
                "compiled": False,
                "success": False,
                "compileProblem": "Unexpected token 'x'.",
                "exceptionStackTrace": None,
                "exceptionMessage": None,
            },
            False,
            "Unexpected token 'x'.",
            False,
        ),
        (
            {
                "line": 1,
                "column": 1,
                "compiled": True,
                "success": False,
                "compileProblem": None,
                "exceptionStackTrace": "AnonymousBlock: line 1, column 1",
                "exceptionMessage": ALREADY_ABORTED,
            },
            False,
            ALREADY_ABORTED,
            True,
        ),
    ],
)
async def test_execute_anonymous_reads_the_result(
    router: respx.MockRouter,
    client: SalesforceClient,
    body: dict[str, object],
    ok: bool,
    problem: str | None,
    already_gone: bool,
) -> None:
    route = router.get(f"{DATA}/tooling/executeAnonymous/").mock(
        return_value=httpx.Response(200, json=body)
    )
    apex = "System.abortJob('08exx0000000001AAA');"

    result = await client.execute_anonymous(apex)

    assert (result.compiled and result.success) is ok
    assert result.problem == problem
    assert result.job_already_gone is already_gone
    query = parse_qs(urlsplit(str(route.calls.last.request.url)).query)
    assert query == {"anonymousBody": [apex]}


async def test_execute_anonymous_refuses_a_url_that_is_too_long(
    router: respx.MockRouter, client: SalesforceClient
) -> None:
    route = router.get(f"{DATA}/tooling/executeAnonymous/")
    apex = "System.abortJob('08exx0000000001AAA');\n" * 600

    assert not fits_anonymous_url(apex)
    with pytest.raises(ValueError, match=str(MAX_ANONYMOUS_URL_BYTES)):
        await client.execute_anonymous(apex)
    assert route.call_count == 0


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, text="<html>not json</html>"),  # it ran; the answer is unreadable
        httpx.Response(502, text="<html>Bad gateway</html>"),  # it may have run
    ],
)
async def test_anonymous_apex_that_may_have_run_is_never_sent_again(
    router: respx.MockRouter, client: SalesforceClient, answer: httpx.Response
) -> None:
    route = router.get(f"{DATA}/tooling/executeAnonymous/").mock(return_value=answer)
    with pytest.raises(PlatformError):
        await client.execute_anonymous("System.schedule('n','0 0 * * * ?',new Job());")
    assert route.call_count == 1  # the caller re-reads instead


async def test_anonymous_apex_refused_for_the_rate_is_sent_again(
    router: respx.MockRouter, client: SalesforceClient
) -> None:
    concurrent = httpx.Response(
        403,
        json=[
            {
                "errorCode": "REQUEST_LIMIT_EXCEEDED",
                "message": "ConcurrentRequests (Concurrent API Requests) Limit exceeded.",
            }
        ],
    )
    ok = httpx.Response(200, json={"compiled": True, "success": True})
    route = router.get(f"{DATA}/tooling/executeAnonymous/").mock(side_effect=[concurrent, ok])
    result = await client.execute_anonymous("System.abortJob('08exx0000000001AAA');")
    assert result.problem is None
    assert route.call_count == 2


def test_short_anonymous_bodies_fit() -> None:
    assert fits_anonymous_url("System.abortJob('08exx0000000001AAA');")


async def test_versions_is_free_and_unauthenticated(
    router: respx.MockRouter, client: SalesforceClient
) -> None:
    route = router.get(f"{INSTANCE}/services/data/").mock(
        return_value=httpx.Response(
            200, json=[{"label": "Winter '25", "url": "/services/data/v62.0", "version": "62.0"}]
        )
    )

    versions = await client.versions()

    assert versions[0]["version"] == "62.0"
    assert "Authorization" not in route.calls.last.request.headers
    assert (client.http.calls_made, client.http.free_calls, client.http.auth_calls) == (1, 1, 0)


def test_the_client_needs_a_salesforce_http(make_http: MakeHttp) -> None:
    credentials = SALESFORCE_CREDENTIALS.validate_python(
        {
            "auth": "client_credentials",
            "instance_url": INSTANCE,
            "client_id": "i",
            "client_secret": "s",
        }
    )

    with pytest.raises(ValueError, match="Salesforce PlatformHttp"):
        SalesforceClient(make_http("hubspot"), credentials)


async def test_query_many_sends_one_composite_and_keeps_each_query_s_own_answer(
    router: respx.MockRouter, client: SalesforceClient
) -> None:
    # Given an org answering one query and refusing another inside one composite
    route = router.post(f"{DATA}/composite").mock(
        return_value=httpx.Response(
            200,
            json={
                "compositeResponse": [
                    {
                        "referenceId": "Account",
                        "httpStatusCode": 200,
                        "body": {"totalSize": 1, "done": True, "records": [{"records": 7}]},
                    },
                    {
                        "referenceId": "Lead",
                        "httpStatusCode": 400,
                        "body": [{"errorCode": "INVALID_TYPE", "message": "no Lead"}],
                    },
                ]
            },
            headers={"Sforce-Limit-Info": "api-usage=10/15000"},
        )
    )
    # When both are asked at once
    answers = await client.query_many({"Account": "SELECT COUNT(Id) records FROM Account",
                                       "Lead": "SELECT COUNT(Id) records FROM Lead"})  # fmt: skip
    # Then one call carried both GET subrequests, and each answer stands on its own
    assert route.call_count == 1
    sent = json.loads(route.calls[0].request.content)["compositeRequest"]
    assert [(s["method"], s["referenceId"]) for s in sent] == [("GET", "Account"), ("GET", "Lead")]
    assert sent[0]["url"].startswith("/services/data/v62.0/query?q=SELECT+COUNT")
    assert answers["Account"] == [{"records": 7}]
    assert answers["Lead"] == []
    assert answers["Lead"].error.error_code == "INVALID_TYPE"
    assert client.http.billable_calls == 1
    with pytest.raises(ValueError, match="at most 5"):
        await client.query_many({str(n): "SELECT Id FROM Account" for n in range(6)})
