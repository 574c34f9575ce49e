"""Encryption at rest and point-in-time recovery, with and without a customer key."""

from __future__ import annotations

from typing import Any

import pytest

from localaws import LocalAws, load_template, resources_of_type

TEMPLATE = load_template()
TABLES = resources_of_type(TEMPLATE, "AWS::DynamoDB::Table")
GIVEN_KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
# The incident journal lives in the state table; losing it or the allowlist loses what to undo.
MUST_RECOVER = {"StateTable", "AllowlistTable"}


def _resolved(parameters: dict[str, str], value: Any) -> Any:
    return LocalAws(parameters=parameters).resolve(value)


@pytest.mark.parametrize("table_id", sorted(TABLES))
def test_tables_are_encrypted_with_aws_keys_by_default(table_id: str) -> None:
    sse = _resolved({}, TABLES[table_id]["Properties"]["SSESpecification"])

    assert sse == {"SSEEnabled": True}  # AWS managed key; no key to pay for or lose


@pytest.mark.parametrize("table_id", sorted(TABLES))
def test_tables_use_the_customer_key_when_given(table_id: str) -> None:
    sse = _resolved(
        {"KmsKeyArn": GIVEN_KEY_ARN}, TABLES[table_id]["Properties"]["SSESpecification"]
    )

    assert sse == {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": GIVEN_KEY_ARN}


def test_journal_and_allowlist_tables_keep_point_in_time_recovery() -> None:
    recovering = {
        table_id
        for table_id, table in TABLES.items()
        if table["Properties"]
        .get("PointInTimeRecoverySpecification", {})
        .get("PointInTimeRecoveryEnabled")
        is True
    }

    assert recovering >= MUST_RECOVER


def test_alert_topic_is_always_encrypted() -> None:
    topic = resources_of_type(TEMPLATE, "AWS::SNS::Topic")["AlertTopic"]["Properties"]

    for parameters in ({}, {"KmsKeyArn": GIVEN_KEY_ARN}):
        assert _resolved(parameters, topic["KmsMasterKeyId"]).startswith("arn:aws:kms:")


def test_function_environment_uses_the_customer_key_when_given() -> None:
    kms_key = TEMPLATE["Globals"]["Function"]["KmsKeyArn"]

    assert _resolved({"KmsKeyArn": GIVEN_KEY_ARN}, {"Key": kms_key}) == {"Key": GIVEN_KEY_ARN}
    assert _resolved({}, {"Key": kms_key}) == {}  # Lambda's own key


def test_template_declares_no_secret() -> None:
    # Credentials live in Secrets Manager, created by the operator and always KMS-encrypted.
    assert not resources_of_type(TEMPLATE, "AWS::SecretsManager::Secret")
