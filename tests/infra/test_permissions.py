"""Least privilege: scoped IAM grants, and an alert topic every publisher can encrypt for."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from localaws import LocalAws, load_template, resources_of_type
from localaws.template import function_properties

TEMPLATE = load_template()
RESOURCES: dict[str, dict[str, Any]] = TEMPLATE["Resources"]
FUNCTIONS = resources_of_type(TEMPLATE, "AWS::Serverless::Function")
# The fleet planner only leases and queues: no alert, no event, no secret.
PUBLISHERS = {k: v for k, v in FUNCTIONS.items() if k != "CheckPlannerFunction"}
TOPIC_KEY = RESOURCES["AlertTopic"]["Properties"]["KmsMasterKeyId"]
STACK_KEY = RESOURCES["AlertTopicKey"]
GIVEN_KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
NO_VALUE = {"Ref": "AWS::NoValue"}
ENCRYPT_FOR_TOPIC = {"kms:GenerateDataKey*", "kms:Decrypt"}


def _branches(policy: Any) -> Iterator[Any]:
    """Both sides of a conditional policy entry (without AWS::NoValue), or the entry itself."""
    if isinstance(policy, dict) and "Fn::If" in policy:
        for branch in policy["Fn::If"][1:]:
            if branch != NO_VALUE:
                yield from _branches(branch)
    else:
        yield policy


def _function_policies(function_id: str) -> list[Any]:
    policies = FUNCTIONS[function_id]["Properties"]["Policies"]
    return [entry for policy in policies for entry in _branches(policy)]


def _function_statements(function_id: str) -> list[dict[str, Any]]:
    return [
        statement
        for policy in _function_policies(function_id)
        if isinstance(policy, dict) and "Statement" in policy
        for statement in policy["Statement"]
    ]


def _iam_resource_statements() -> list[dict[str, Any]]:
    """Statements of any plain IAM role or policy the template declares."""
    documents = []
    for resource in RESOURCES.values():
        properties = resource.get("Properties", {})
        if resource["Type"] in {"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"}:
            documents.append(properties["PolicyDocument"])
        if resource["Type"] == "AWS::IAM::Role":
            documents += [policy["PolicyDocument"] for policy in properties.get("Policies", [])]
    return [statement for document in documents for statement in document["Statement"]]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _can_publish(function_id: str) -> bool:
    properties = FUNCTIONS[function_id]["Properties"]
    by_policy = any(
        isinstance(policy, dict) and "SNSPublishMessagePolicy" in policy
        for policy in _function_policies(function_id)
    )
    destinations = properties.get("EventInvokeConfig", {}).get("DestinationConfig", {})
    by_destination = any(target.get("Type") == "SNS" for target in destinations.values())
    return by_policy or by_destination


def test_no_iam_statement_grants_a_wildcard_action_or_resource() -> None:
    statements = [
        statement for function_id in FUNCTIONS for statement in _function_statements(function_id)
    ] + _iam_resource_statements()

    for statement in statements:
        assert "NotAction" not in statement
        assert "NotResource" not in statement
        for action in _as_list(statement["Action"]):
            assert action != "*", statement
            assert not action.endswith(":*"), statement
        assert "*" not in _as_list(statement["Resource"]), statement


@pytest.mark.parametrize("function_id", sorted(FUNCTIONS))
def test_functions_use_only_inline_statements_and_sam_policy_templates(function_id: str) -> None:
    for policy in _function_policies(function_id):
        # A bare string would be a managed policy, whose scope the template cannot show.
        assert isinstance(policy, dict), policy
        assert "Statement" in policy or (len(policy) == 1 and next(iter(policy)).endswith("Policy"))


def test_every_function_but_the_planner_publishes_to_the_alert_topic() -> None:
    assert {function_id for function_id in FUNCTIONS if _can_publish(function_id)} == set(
        PUBLISHERS
    )


@pytest.mark.parametrize("function_id", sorted(PUBLISHERS))
def test_publisher_may_encrypt_with_exactly_the_topic_key(function_id: str) -> None:
    grants = [s for s in _function_statements(function_id) if s["Resource"] == TOPIC_KEY]

    assert {action for grant in grants for action in _as_list(grant["Action"])} >= (
        ENCRYPT_FOR_TOPIC
    )
    for parameters in ({}, {"KmsKeyArn": GIVEN_KEY_ARN}):
        stack = LocalAws(parameters=parameters)
        key_arn = stack.resolve(TOPIC_KEY)
        assert key_arn.startswith("arn:aws:kms:")
        assert all(stack.resolve(grant["Resource"]) == key_arn for grant in grants)


def test_topic_is_encrypted_with_the_stack_key_by_default(local_aws: LocalAws) -> None:
    attributes = local_aws.client("sns").get_topic_attributes(TopicArn=local_aws.alert_topic_arn)

    assert set(local_aws.kms_key_ids) == {"AlertTopicKey"}
    assert attributes["Attributes"]["KmsMasterKeyId"] == local_aws.resolve(
        {"Fn::GetAtt": ["AlertTopicKey", "Arn"]}
    )


def test_given_key_replaces_the_stack_key() -> None:
    stack = LocalAws(parameters={"KmsKeyArn": GIVEN_KEY_ARN})

    assert stack.kms_key_ids == {}
    assert stack.resolve(RESOURCES["AlertTopic"]["Properties"])["KmsMasterKeyId"] == GIVEN_KEY_ARN


def test_stack_key_rotates_and_lets_cloudwatch_alarms_publish() -> None:
    statements = STACK_KEY["Properties"]["KeyPolicy"]["Statement"]
    for_cloudwatch = [
        statement
        for statement in statements
        if statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    ]

    assert STACK_KEY["Properties"]["EnableKeyRotation"] is True
    assert [set(statement["Action"]) for statement in for_cloudwatch] == [ENCRYPT_FOR_TOPIC]


def test_only_the_account_administers_the_stack_key() -> None:
    # In a key policy, Resource "*" means this key; the actions are what is scoped.
    root = {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}

    for statement in STACK_KEY["Properties"]["KeyPolicy"]["Statement"]:
        actions = _as_list(statement["Action"])
        if "kms:*" in actions:
            assert statement["Principal"] == root
        else:
            assert all(not action.endswith(":*") for action in actions)


def test_restore_has_no_allowlist_grant_but_keeps_the_setting() -> None:
    # restore only reads the journal; Settings still requires ALLOWLIST_TABLE.
    policies = json.dumps(FUNCTIONS["RestoreFunction"]["Properties"]["Policies"])
    environment = function_properties(TEMPLATE, "RestoreFunction")["Environment"]["Variables"]

    assert "AllowlistTable" not in policies
    assert environment["ALLOWLIST_TABLE"] == {"Ref": "AllowlistTable"}


DEFAULT_BUS = {
    "Fn::Sub": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default"
}


def _events_grants(function_id: str) -> list[dict[str, Any]]:
    return [
        statement
        for statement in _function_statements(function_id)
        if any(action.startswith("events:") for action in _as_list(statement["Action"]))
    ]


@pytest.mark.parametrize("function_id", sorted(PUBLISHERS))
def test_every_publisher_may_put_events_on_the_default_bus_only(function_id: str) -> None:
    # Every function publishes alerts (test above), and every alert is also an event.
    [grant] = _events_grants(function_id)

    assert _as_list(grant["Action"]) == ["events:PutEvents"]
    assert grant["Resource"] == DEFAULT_BUS
    assert LocalAws().resolve(DEFAULT_BUS) == (
        "arn:aws:events:us-east-1:123456789012:event-bus/default"
    )


@pytest.mark.parametrize("switch", ["true", "false"])
def test_publish_events_switches_the_grant_and_the_code_together(switch: str) -> None:
    stack = LocalAws(parameters={"PublishEvents": switch})

    for function_id in PUBLISHERS:
        policies = stack.resolve(FUNCTIONS[function_id]["Properties"]["Policies"])
        granted = "events:PutEvents" in json.dumps(policies)
        assert stack.function_environment(function_id)["PUBLISH_EVENTS"] == switch
        assert granted is (switch == "true")
