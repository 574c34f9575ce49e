"""The REST composite with query subrequests: one call for up to five queries, each
answered (or refused) on its own (docs/platform-notes.md S3)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from tests.sandbox.salesforce_support import API, OrgClient


def _query(reference: str, soql: str) -> dict[str, Any]:
    return {
        "method": "GET",
        "url": f"{API}/query?{urlencode({'q': soql})}",
        "referenceId": reference,
    }


def _composite(sf: OrgClient, items: list[dict[str, Any]]) -> Any:
    return sf.request(
        "POST", f"{API}/composite", json={"allOrNone": False, "compositeRequest": items}
    )


def test_queries_in_one_composite_count_one_call_and_answer_each(sf: OrgClient) -> None:
    sf.org.add_flow("Account_Rollup", versions=2, active_version=2)
    before, _ = sf.org.usage()

    response = _composite(
        sf,
        [
            _query("users", "SELECT Id, Username FROM User"),
            _query("broken", "SELECT Nope FROM NoSuchObject__c"),
        ],
    )

    assert response.status_code == 200, response.text
    users, broken = response.json()["compositeResponse"]
    assert users["referenceId"] == "users"
    assert users["httpStatusCode"] == 200
    assert users["body"]["done"] is True
    assert users["body"]["records"]
    assert broken["httpStatusCode"] == 400
    assert broken["body"][0]["errorCode"] in {"INVALID_TYPE", "INVALID_FIELD", "MALFORMED_QUERY"}
    after, _ = sf.org.usage()
    assert after - before == 1


def test_more_than_five_queries_are_refused_whole(sf: OrgClient) -> None:
    response = _composite(sf, [_query(str(n), "SELECT Id FROM User") for n in range(6)])

    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "LIMIT_EXCEEDED"


def test_a_subrequest_other_than_a_query_is_refused_on_its_own(sf: OrgClient) -> None:
    items = [
        {"method": "DELETE", "url": f"{API}/sobjects/Account/001000000000001", "referenceId": "d"},
        _query("ok", "SELECT Id FROM User"),
    ]

    refused, answered = _composite(sf, items).json()["compositeResponse"]

    assert refused["httpStatusCode"] == 400
    assert answered["httpStatusCode"] == 200
