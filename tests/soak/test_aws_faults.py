"""The soak's AWS fault proxy answers as AWS does: botocore reads each made-up error as the
service's own, retries what it retries, and everything else reaches moto unchanged."""

from __future__ import annotations

import functools
from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from localaws import LocalAws
from tests.soak.aws_faults import AwsFaultProxy, FaultPlan

NO_RETRIES = Config(retries={"mode": "standard", "max_attempts": 1})


@pytest.fixture
def proxy(aws: LocalAws) -> Iterator[AwsFaultProxy]:
    running = AwsFaultProxy(aws.endpoint_url, FaultPlan(seed=7, rate=0.0)).start()
    yield running
    running.stop()


def test_requests_pass_through_untouched_when_no_fault_is_planned(
    aws: LocalAws, proxy: AwsFaultProxy
) -> None:
    aws.create_secret("apibrake/x", {"auth": "token"})
    secrets = boto3.client("secretsmanager", endpoint_url=proxy.url)
    assert secrets.get_secret_value(SecretId="apibrake/x")["SecretString"] == '{"auth": "token"}'
    assert proxy.requests["secretsmanager"] == 1
    assert not proxy.injected


@pytest.mark.parametrize(
    ("service", "code"),
    [("secretsmanager", "InternalServiceError"), ("sns", "InternalError")],
)
def test_made_up_errors_read_as_the_services_own(
    aws: LocalAws, proxy: AwsFaultProxy, service: str, code: str
) -> None:
    proxy.plan.rate = 1.0
    client = boto3.client(service, endpoint_url=proxy.url, config=NO_RETRIES)
    call = (
        functools.partial(client.publish, TopicArn=aws.alert_topic_arn, Message="x")
        if service == "sns"
        else functools.partial(client.get_secret_value, SecretId="apibrake/x")
    )
    with pytest.raises(ClientError) as raised:
        call()
    assert raised.value.response["Error"]["Code"] in {code, "Throttling"}


def test_dynamodb_faults_are_throttles_server_errors_or_transaction_conflicts(
    aws: LocalAws, proxy: AwsFaultProxy
) -> None:
    proxy.plan.rate = 1.0
    dynamodb = boto3.client("dynamodb", endpoint_url=proxy.url, config=NO_RETRIES)
    table = aws.table_name("StateTable")
    item = {"pk": {"S": "a"}, "sk": {"S": "b"}}
    codes = set()
    for _ in range(40):
        with pytest.raises(ClientError) as raised:
            dynamodb.transact_write_items(
                TransactItems=[{"Put": {"TableName": table, "Item": item}}]
            )
        codes.add(raised.value.response["Error"]["Code"])
        reasons = raised.value.response.get("CancellationReasons")
        if raised.value.response["Error"]["Code"] == "TransactionCanceledException":
            assert reasons == [
                {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}
            ]
    assert codes == {
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "InternalServerError",
        "TransactionCanceledException",
    }
    # botocore's standard mode retries a throttle: with retries, the fault passes
    proxy.plan.rate = 0.0
    retrying = boto3.client("dynamodb", endpoint_url=proxy.url)
    retrying.put_item(TableName=table, Item=item)
    assert "Item" in retrying.get_item(TableName=table, Key=item)
