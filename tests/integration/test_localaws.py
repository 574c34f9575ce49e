"""The local AWS stack behaves like the deployed one where the code relies on it."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from localaws import LocalAws, ReceivedAlert
from localaws.intrinsics import IntrinsicResolver, UnresolvableError


def _publish(aws: LocalAws, severity: str, message: str) -> None:
    boto3.client("sns").publish(
        TopicArn=aws.alert_topic_arn,
        Subject=f"apibrake {severity}",
        Message=message,
        MessageAttributes={"severity": {"DataType": "String", "StringValue": severity}},
    )


def test_alert_arrives_in_inbox_with_its_attributes(aws: LocalAws) -> None:
    # Given an inbox subscribed to the alert topic
    inbox = aws.alert_inbox()

    # When an alert is published through a default boto3 client
    _publish(aws, "critical", "sf-prod at 91 %")

    # Then it arrives once, with subject and severity
    assert inbox.receive() == [
        ReceivedAlert(
            body="sf-prod at 91 %", subject="apibrake critical", attributes={"severity": "critical"}
        )
    ]
    assert inbox.receive() == []


def test_filtered_inbox_gets_only_matching_severities(aws: LocalAws) -> None:
    # Given a subscription filtered like the template's SMS subscription
    sms_like = aws.alert_inbox(filter_policy={"severity": ["critical"]})
    everything = aws.alert_inbox()

    # When a warning and a critical alert are published
    _publish(aws, "warning", "sf-prod at 80 %")
    _publish(aws, "critical", "sf-prod at 91 %")

    # Then the filtered inbox gets only the critical one
    assert [alert.body for alert in sms_like.receive()] == ["sf-prod at 91 %"]
    assert len(everything.receive()) == 2


def test_json_structured_message_delivers_the_sqs_or_default_key(aws: LocalAws) -> None:
    inbox = aws.alert_inbox()

    boto3.client("sns").publish(
        TopicArn=aws.alert_topic_arn,
        MessageStructure="json",
        Message=json.dumps({"default": "short text", "email": "long text"}),
    )

    assert [alert.body for alert in inbox.receive()] == ["short text"]


def test_secret_round_trips(aws: LocalAws) -> None:
    credentials = {"base_url": "http://127.0.0.1:1", "auth": "token", "access_token": "pat-x"}

    arn = aws.create_secret("apibrake/hs-test", credentials)
    stored = boto3.client("secretsmanager").get_secret_value(SecretId="apibrake/hs-test")

    assert stored["ARN"] == arn
    assert json.loads(stored["SecretString"]) == credentials


def test_create_secret_replaces_an_existing_value(aws: LocalAws) -> None:
    aws.create_secret("apibrake/sf-test", {"client_secret": "old"})
    aws.create_secret("apibrake/sf-test", {"client_secret": "new"})

    stored = boto3.client("secretsmanager").get_secret_value(SecretId="apibrake/sf-test")

    assert json.loads(stored["SecretString"]) == {"client_secret": "new"}


def test_reset_empties_tables_but_keeps_them(aws: LocalAws) -> None:
    table = aws.table_name("ConnectionsTable")
    dynamodb = boto3.client("dynamodb")
    dynamodb.put_item(TableName=table, Item={"connection_id": {"S": "sf-prod"}})

    aws.reset()

    assert dynamodb.scan(TableName=table)["Items"] == []


def test_default_clients_use_the_local_endpoint_with_test_credentials(aws: LocalAws) -> None:
    session = boto3.Session()
    credentials = session.get_credentials()

    assert credentials is not None
    assert credentials.access_key == "testing"
    assert session.client("sts").meta.endpoint_url == aws.endpoint_url


def test_parameters_override_defaults() -> None:
    # Names are known before start, so no second server is needed here.
    stack = LocalAws(
        stack_name="other",
        parameters={"LogLevel": "DEBUG", "ForecastHorizonMinutes": "30"},
    )

    environment = stack.function_environment("UsageMonitorFunction")

    assert environment["POWERTOOLS_LOG_LEVEL"] == "DEBUG"
    assert environment["FORECAST_HORIZON_MINUTES"] == "30"
    assert environment["STATE_TABLE"] == "other-StateTable"


def test_unknown_parameter_is_refused() -> None:
    with pytest.raises(ValueError, match="NoSuchParameter"):
        LocalAws(parameters={"NoSuchParameter": "x"})


def test_resolver_evaluates_sub_if_and_conditions() -> None:
    template = {"Conditions": {"HasKey": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Key"}, ""]}]}}}
    resolver = IntrinsicResolver(template, {"Key": "", "AWS::Region": "eu-west-1"}, {})

    value = resolver.resolve(
        {
            "Arn": {"Fn::Sub": ["arn:${AWS::Region}:${Name}:${!Literal}", {"Name": "x"}]},
            "Key": {"Fn::If": ["HasKey", {"Ref": "Key"}, {"Ref": "AWS::NoValue"}]},
            "Joined": {"Fn::Join": ["-", ["a", {"Fn::Select": [1, {"Fn::Split": [",", "b,c"]}]}]]},
        }
    )

    assert value == {"Arn": "arn:eu-west-1:x:${Literal}", "Joined": "a-c"}


def test_resolver_refuses_unknown_references() -> None:
    resolver = IntrinsicResolver({}, {}, {})

    with pytest.raises(UnresolvableError, match="Nope"):
        resolver.resolve({"Ref": "Nope"})


def test_created_stack_lists_the_templates_outputs(aws: LocalAws) -> None:
    aws.create_stack()

    (stack,) = boto3.client("cloudformation").describe_stacks(StackName=aws.stack_name)["Stacks"]

    assert {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]} == aws.outputs()
    described = {o["OutputKey"]: o.get("Description") for o in stack["Outputs"]}
    assert described["AlertTopicArn"] == aws.template["Outputs"]["AlertTopicArn"]["Description"]


def test_a_partition_query_answers_as_dynamodb_does(aws: LocalAws) -> None:
    """moto_child reads a base-table Query from its partition: same items, order, paging."""
    dynamodb = aws.client("dynamodb")
    table = aws.table_name("StateTable")
    for pk in ("reading#a", "reading#b"):
        requests = [
            {"PutRequest": {"Item": {"pk": {"S": pk}, "sk": {"S": f"2026-11-02T{h:02d}"}}}}
            for h in range(12)
        ]
        for start in range(0, len(requests), 25):
            dynamodb.batch_write_item(RequestItems={table: requests[start : start + 25]})

    def keys(**extra: Any) -> list[str]:
        answer = dynamodb.query(
            TableName=table,
            KeyConditionExpression="pk = :pk AND sk >= :since",
            ExpressionAttributeValues={":pk": {"S": "reading#b"}, ":since": {"S": "2026-11-02T08"}},
            **extra,
        )
        return [item["sk"]["S"][-2:] for item in answer["Items"]]

    assert keys() == ["08", "09", "10", "11"]
    assert keys(ScanIndexForward=False, Limit=2) == ["11", "10"]
    first = dynamodb.query(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "reading#a"}},
        Limit=5,
    )
    rest = dynamodb.query(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "reading#a"}},
        ExclusiveStartKey=first["LastEvaluatedKey"],
    )
    assert len(first["Items"]) + len(rest["Items"]) == 12
    assert rest["Items"][0]["sk"]["S"] == "2026-11-02T05"
