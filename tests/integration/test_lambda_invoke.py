"""The Lambda Invoke stand-in answers as the Invoke API does, running the real handlers.

https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html: 200 with the function's
payload (RequestResponse), 202 (Event), 204 (DryRun); `X-Amz-Function-Error: Unhandled` with
an errorMessage/errorType document when the handler raises; 404 ResourceNotFoundException for
a function (or version) that does not exist.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from localaws import LocalAws
from localaws.lambda_process import LocalLambda

RELEASE_UNKNOWN = {"action": "release", "incident_id": "nope"}


@pytest.fixture
def lambda_client(aws: LocalAws, local_lambda: LocalLambda, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A default boto3 client, pointed at the stand-in as at `sam local start-lambda`."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", local_lambda.endpoint_url)
    return boto3.client("lambda")


def _payload(answer: dict[str, Any]) -> Any:
    return json.loads(answer["Payload"].read())


@pytest.mark.parametrize(
    "function_name",
    [
        "apibrake-RestoreFunction",
        "RestoreFunction",
        "arn:aws:lambda:us-east-1:123456789012:function:apibrake-RestoreFunction:$LATEST",
    ],
)
def test_request_response_runs_the_handler(lambda_client: Any, function_name: str) -> None:
    answer = lambda_client.invoke(
        FunctionName=function_name, Payload=json.dumps(RELEASE_UNKNOWN).encode()
    )

    assert answer["StatusCode"] == 200
    assert answer["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in answer
    assert _payload(answer)["errors"][0]["error"] == "no incident nope"


def test_event_and_dry_run_answer_without_a_payload(lambda_client: Any) -> None:
    event = lambda_client.invoke(
        FunctionName="apibrake-RestoreFunction",
        InvocationType="Event",
        Payload=b'{"action": "release_recovered"}',
    )
    dry_run = lambda_client.invoke(FunctionName="apibrake-RestoreFunction", InvocationType="DryRun")

    assert (event["StatusCode"], event["Payload"].read()) == (202, b"")
    assert (dry_run["StatusCode"], dry_run["Payload"].read()) == (204, b"")


@pytest.mark.parametrize("function_name", ["apibrake-Deleted", "apibrake-RestoreFunction:7"])
def test_unknown_function_or_version_is_not_found(lambda_client: Any, function_name: str) -> None:
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException) as raised:
        lambda_client.invoke(FunctionName=function_name, Payload=b"{}")

    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert "Function not found: arn:aws:lambda:us-east-1:123456789012:function:" in str(
        raised.value
    )


def test_a_payload_that_is_not_json_is_refused(lambda_client: Any) -> None:
    with pytest.raises(lambda_client.exceptions.InvalidRequestContentException):
        lambda_client.invoke(FunctionName="apibrake-RestoreFunction", Payload=b"{not json")


def test_a_handler_that_raises_is_an_unhandled_function_error(
    aws: LocalAws, lambda_client: Any
) -> None:
    # Given a stack whose idempotency table is gone
    aws.client("dynamodb").delete_table(TableName=aws.table_name("IdempotencyTable"))

    answer = lambda_client.invoke(
        FunctionName="apibrake-RestoreFunction", Payload=json.dumps(RELEASE_UNKNOWN).encode()
    )

    assert answer["StatusCode"] == 200  # the API call worked; the function did not
    assert answer["FunctionError"] == "Unhandled"
    error = _payload(answer)
    assert error["errorType"] == "IdempotencyPersistenceLayerError"
    assert "idempotency store" in error["errorMessage"]
    assert error["stackTrace"]
