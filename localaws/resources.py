"""Create the template's tables and topics through the AWS APIs.

CloudFormation properties are translated generically into API requests, so
a table added to template.yaml appears locally with no change here. A
property this module does not know raises, rather than the local stack
quietly drifting from what would be deployed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sns import SNSClient

TABLE_TYPE = "AWS::DynamoDB::Table"
TOPIC_TYPE = "AWS::SNS::Topic"

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
