"""Create the template's tables and topics through the AWS APIs.

CloudFormation properties are translated generically into API requests, so
a table added to template.yaml appears locally with no change here. A
property this module does not know raises, rather than the local stack
quietly drifting from what would be deployed.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient

TABLE_TYPE = "AWS::DynamoDB::Table"
TOPIC_TYPE = "AWS::SNS::Topic"
QUEUE_TYPE = "AWS::SQS::Queue"

# CloudFormation properties that CreateTable accepts unchanged.
_TABLE_PASS_THROUGH = {
    "AttributeDefinitions",
    "KeySchema",
    "BillingMode",
    "ProvisionedThroughput",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "TableClass",
    "DeletionProtectionEnabled",
    "Tags",
}
# Translated, or applied after creation by their own API calls (see create_table).
_TABLE_TRANSLATED = {
    "SSESpecification",
    "StreamSpecification",
    "TimeToLiveSpecification",
    "PointInTimeRecoverySpecification",
}
# Only matter to a real deployment.
_TABLE_IGNORED = {"TableName", "ContributorInsightsSpecification"}
_TOPIC_ATTRIBUTES = {"DisplayName", "KmsMasterKeyId", "FifoTopic", "ContentBasedDeduplication"}


class UnsupportedPropertyError(ValueError):
    """The template uses a property the local stack cannot reproduce."""


def _reject_unknown(logical_id: str, properties: dict[str, Any], known: set[str]) -> None:
    unknown = sorted(set(properties) - known)
    if unknown:
        raise UnsupportedPropertyError(
            f"{logical_id}: localaws does not translate {', '.join(unknown)}"
        )


def create_table(
    dynamodb: DynamoDBClient, table_name: str, logical_id: str, properties: dict[str, Any]
) -> None:
    """Create one table from its (resolved) CloudFormation properties."""
    _reject_unknown(
        logical_id, properties, _TABLE_PASS_THROUGH | _TABLE_TRANSLATED | _TABLE_IGNORED
    )
    request: dict[str, Any] = {
        key: value for key, value in properties.items() if key in _TABLE_PASS_THROUGH
    }
    request.setdefault("BillingMode", "PROVISIONED")
    if "SSESpecification" in properties:
        # CloudFormation says SSEEnabled where the API says Enabled.
        sse = dict(properties["SSESpecification"])
        request["SSESpecification"] = {"Enabled": bool(sse.pop("SSEEnabled", False)), **sse}
    if "StreamSpecification" in properties:
        request["StreamSpecification"] = {
            "StreamEnabled": True,
            **properties["StreamSpecification"],
        }
    dynamodb.create_table(TableName=table_name, **request)

    ttl = properties.get("TimeToLiveSpecification")
    if ttl:
        dynamodb.update_time_to_live(
            TableName=table_name,
            TimeToLiveSpecification={
                "AttributeName": ttl["AttributeName"],
                "Enabled": bool(ttl.get("Enabled", True)),
            },
        )
    recovery = properties.get("PointInTimeRecoverySpecification")
    if recovery:
        dynamodb.update_continuous_backups(
            TableName=table_name,
            PointInTimeRecoverySpecification={
                "PointInTimeRecoveryEnabled": bool(recovery.get("PointInTimeRecoveryEnabled"))
            },
        )


def create_topic(
    sns: SNSClient, topic_name: str, logical_id: str, properties: dict[str, Any]
) -> str:
    """Create one topic from its (resolved) CloudFormation properties; returns its ARN."""
    _reject_unknown(logical_id, properties, _TOPIC_ATTRIBUTES | {"TopicName", "Tags"})
    attributes = {
        key: str(value).lower() if isinstance(value, bool) else str(value)
        for key, value in properties.items()
        if key in _TOPIC_ATTRIBUTES
    }
    response = sns.create_topic(
        Name=topic_name, Attributes=attributes, Tags=properties.get("Tags", [])
    )
    return response["TopicArn"]


# CloudFormation properties that are queue attributes of the same name.
_QUEUE_ATTRIBUTES = {
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "SqsManagedSseEnabled",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "FifoQueue",
    "ContentBasedDeduplication",
}


def create_queue(
    sqs: SQSClient, queue_name: str, logical_id: str, properties: dict[str, Any]
) -> str:
    """Create one queue from its (resolved) CloudFormation properties, without its redrive
    policy (the dead-letter queue may not exist yet: `set_redrive` adds it); returns its URL."""
    _reject_unknown(
        logical_id, properties, _QUEUE_ATTRIBUTES | {"QueueName", "RedrivePolicy", "Tags"}
    )
    attributes: dict[str, str] = {
        key: _attribute_text(value) for key, value in properties.items() if key in _QUEUE_ATTRIBUTES
    }
    tags = {tag["Key"]: tag["Value"] for tag in properties.get("Tags", [])}
    return sqs.create_queue(
        QueueName=queue_name,
        Attributes=attributes,  # type: ignore[arg-type]
        tags=tags,
    )["QueueUrl"]


def set_redrive(sqs: SQSClient, queue_url: str, properties: dict[str, Any]) -> None:
    """The queue's dead-letter queue, once every queue exists."""
    redrive = properties.get("RedrivePolicy")
    if redrive:
        text = redrive if isinstance(redrive, str) else json.dumps(redrive)
        sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"RedrivePolicy": text})


def _attribute_text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
