from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
import respx

from apibrake.http import (
    CallKind,
    DailyLimitExhausted,
    MalformedResponse,
    PlatformHttp,
    PlatformUnavailable,
    RateLimited,
    RetryBudget,
    RetryPolicy,
    Timeouts,
)

pytestmark = pytest.mark.anyio

SF = "https://acme.my.salesforce.com"
HS = "https://api.hubapi.com"
UNAVAILABLE = [{"message": "down for maintenance", "errorCode": "SERVER_UNAVAILABLE"}]
TOTAL_REQUESTS = [
    {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
]

MakeHttp = Callable[..., PlatformHttp]


async def test_a_transient_failure_is_retried_until_success(
    router: respx.MockRouter, make_http: MakeHttp, sleeps: list[float]
) -> None:
    route = router.get(f"{SF}/x").mock(
        side_effect=[httpx.Response(503, json=UNAVAILABLE), httpx.Response(200, json={"ok": 1})]
    )
    http = make_http()

    response = await http.request("GET", f"{SF}/x")

    assert response.json() == {"ok": 1}
    assert route.call_count == 2
    assert http.calls_made == 2
    assert http.retries == 1
    assert len(sleeps) == 1


async def test_retries_stop_at_max_attempts_with_growing_capped_delays(
    router: respx.MockRouter, make_http: MakeHttp, sleeps: list[float]
) -> None:
    route = router.get(f"{SF}/x").mock(return_value=httpx.Response(503, json=UNAVAILABLE))
    http = make_http(retry=RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=1.5))

    with pytest.raises(PlatformUnavailable):
        await http.request("GET", f"{SF}/x")

    assert route.call_count == 4
    assert sleeps == [0.5, 1.0, 1.5]  # rand() is pinned to 1.0: the ceiling of the jitter


async def test_full_jitter_stays_below_the_ceiling(
    router: respx.MockRouter, make_http: MakeHttp, sleeps: list[float]
) -> None:
    router.get(f"{SF}/x").mock(return_value=httpx.Response(503, json=UNAVAILABLE))
    http = make_http(rand=lambda: 0.25)

    with pytest.raises(PlatformUnavailable):
        await http.request("GET", f"{SF}/x")

    assert sleeps == [pytest.approx(0.05), pytest.approx(0.1)]


async def test_daily_limit_is_never_retried(
    router: respx.MockRouter, make_http: MakeHttp, sleeps: list[float]
) -> None:
    route = router.get(f"{SF}/x").mock(return_value=httpx.Response(403, json=TOTAL_REQUESTS))
    http = make_http()

    with pytest.raises(DailyLimitExhausted):
        await http.request("GET", f"{SF}/x")

    assert route.call_count == 1
    assert sleeps == []


async def test_hubspot_daily_429_is_never_retried(
    router: respx.MockRouter, make_http: MakeHttp
) -> None:
    body = {
        "status": "error",
        "message": "You have reached your daily limit.",
        "errorType": "RATE_LIMIT",
        "correlationId": "c-1",
        "policyName": "DAILY",
    }
    route = router.get(f"{HS}/x").mock(return_value=httpx.Response(429, json=body))
    http = make_http("hubspot")

    with pytest.raises(DailyLimitExhausted):
        await http.request("GET", f"{HS}/x")

    assert route.call_count == 1


async def test_hubspot_burst_waits_at_least_the_scaled_interval(
    router: respx.MockRouter, make_http: MakeHttp, sleeps: list[float]
) -> None:
    burst = httpx.Response(
        429,
        json={
            "status": "error",
            "message": "burst",
            "correlationId": "c-2",
            "policyName": "TEN_SECONDLY_ROLLING",
        },
        headers={"X-HubSpot-RateLimit-Interval-Milliseconds": "10000"},
    )
    route = router.get(f"{HS}/x").mock(side_effect=[burst, httpx.Response(200, json={})])
    http = make_http("hubspot", rand=lambda: 0.0, retry=RetryPolicy(burst_wait_scale=0.01))

    await http.request("GET", f"{HS}/x")

    assert route.call_count == 2
    assert sleeps == [pytest.approx(0.1)]  # 10 s interval x 0.01


async def test_the_retry_budget_is_shared_and_bounded(
    router: respx.MockRouter, make_http: MakeHttp
) -> None:
    route = router.get(f"{SF}/x").mock(return_value=httpx.Response(503, json=UNAVAILABLE))
    budget = RetryBudget(max_retries=3)
    first, second = make_http(budget=budget), make_http(budget=budget)

    with pytest.raises(PlatformUnavailable):
        await first.request("GET", f"{SF}/x")  # 1 call + 2 retries
    with pytest.raises(PlatformUnavailable):
        await second.request("GET", f"{SF}/x")  # 1 call + the last retry
    with pytest.raises(PlatformUnavailable):
        await second.request("GET", f"{SF}/x")  # 1 call, budget spent

    assert route.call_count == 6
    assert budget.remaining == 0
    assert (first.retries, second.retries) == (2, 1)


async def test_retry_can_be_switched_off_per_request(
    router: respx.MockRouter, make_http: MakeHttp
) -> None:
    route = router.get(f"{SF}/x").mock(return_value=httpx.Response(503, json=UNAVAILABLE))

    with pytest.raises(PlatformUnavailable):
        await make_http().request("GET", f"{SF}/x", retry=False)

    assert route.call_count == 1


async def test_a_malformed_body_is_retried_once_at_most(
    router: respx.MockRouter, make_http: MakeHttp
) -> None:
    html = httpx.Response(
        200, text="<html>Maintenance</html>", headers={"content-type": "text/html"}
    )
    route = router.get(f"{SF}/x").mock(return_value=html)
    http = make_http(retry=RetryPolicy(max_attempts=5))

    with pytest.raises(MalformedResponse) as raised:
        await http.request_parsed("GET", f"{SF}/x", parse=http.json_body)

    assert route.call_count == 2
    assert "text/html" in str(raised.value)


@pytest.mark.parametrize("body", [b"", b'{"truncated": ', b"not json"])
async def test_json_body_refuses_broken_json(
    router: respx.MockRouter, make_http: MakeHttp, body: bytes
) -> None:
    router.get(f"{SF}/x").mock(return_value=httpx.Response(200, content=body))
    http = make_http()

    with pytest.raises(MalformedResponse):
        await http.request_parsed("GET", f"{SF}/x", parse=http.json_body)


async def test_connection_refused_is_retried_and_not_counted_as_a_call(
    router: respx.MockRouter, make_http: MakeHttp
) -> None:
    route = router.get(f"{SF}/x").mock(
        side_effect=[httpx.ConnectError("refused"), httpx.Response(200, json={})]
    )
    http = make_http()

    await http.request("GET", f"{SF}/x")

    assert route.call_count == 2
    assert http.calls_made == 1


@pytest.mark.parametrize(
    "failure", [httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("reset by peer")]
)
async def test_failures_after_sending_count_as_calls(
    router: respx.MockRouter, make_http: MakeHttp, failure: Exception
) -> None:
    router.get(f"{SF}/x").mock(side_effect=failure)
    http = make_http()

    with pytest.raises(PlatformUnavailable) as raised:
        await http.request("GET", f"{SF}/x")

    assert http.calls_made == 3
    assert type(failure).__name__ in str(raised.value)


async def test_usage_headers_are_captured_from_every_response(
    router: respx.MockRouter, make_http: MakeHttp
) -> None:
    router.get(f"{SF}/ok").mock(
        return_value=httpx.Response(200, json={}, headers={"Sforce-Limit-Info": "api-usage=5/100"})
    )
    router.get(f"{SF}/refused").mock(
        return_value=httpx.Response(
            403, json=TOTAL_REQUESTS, headers={"Sforce-Limit-Info": "api-usage=101/100"}
        )
    )
    router.get(f"{SF}/bare").mock(return_value=httpx.Response(200, json={}))
    http = make_http()

    await http.request("GET", f"{SF}/ok")
    assert http.last_header_reading is not None
    assert http.last_header_reading.used == 5

    with pytest.raises(DailyLimitExhausted):
        await http.request("GET", f"{SF}/refused")
    assert http.last_header_reading.used == 101

    await http.request("GET", f"{SF}/bare")  # no header: the last reading stays
    assert http.last_header_reading.used == 101


async def test_token_and_free_calls_are_counted_apart(
    router: respx.MockRouter, make_http: MakeHttp
) -> None:
    router.route().mock(return_value=httpx.Response(200, json={}))
    http = make_http()

    await http.request("POST", f"{SF}/token", kind=CallKind.AUTH)
    await http.request("GET", f"{SF}/services/data/", kind=CallKind.FREE)
    await http.request("GET", f"{SF}/limits")

    assert (http.calls_made, http.auth_calls, http.free_calls) == (3, 1, 1)
    assert http.billable_calls == 1


async def test_timeouts_are_explicit_on_every_request(
    router: respx.MockRouter, make_http: MakeHttp
) -> None:
    route = router.get(f"{SF}/x").mock(return_value=httpx.Response(200, json={}))
    http = make_http(timeouts=Timeouts(connect=1.5, read=7.0))

    await http.request("GET", f"{SF}/x")

    timeout = route.calls.last.request.extensions["timeout"]
    assert timeout == {"connect": 1.5, "read": 7.0, "write": 7.0, "pool": 7.0}


async def test_concurrent_requests_limit_is_retried(
    router: respx.MockRouter, make_http: MakeHttp
) -> None:
    concurrent = [
        {
            "message": "ConcurrentRequests (Concurrent API Requests) Limit exceeded.",
            "errorCode": "REQUEST_LIMIT_EXCEEDED",
        }
    ]
    route = router.get(f"{SF}/x").mock(
        side_effect=[httpx.Response(403, json=concurrent), httpx.Response(200, json={})]
    )

    await make_http().request("GET", f"{SF}/x")

    assert route.call_count == 2


def test_rate_limited_errors_without_interval_use_plain_backoff() -> None:
    policy = RetryPolicy(base_delay=0.2)

    assert policy.delay(1, RateLimited("salesforce", "x"), lambda: 1.0) == pytest.approx(0.2)
    assert policy.delay(
        1, RateLimited("hubspot", "x", retry_after=100.0), lambda: 1.0
    ) == pytest.approx(policy.max_burst_wait)
