"""Least privilege in what SAM deploys: the generated roles, and who may invoke what.

test_permissions.py reads the policies as template.yaml writes them; this file reads the
plain CloudFormation SAM makes of them (tests/security/cloudformation.py), where policy
templates have become statements and events have become roles and permissions.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from localaws import load_template, resources_of_type
from tests.security.cloudformation import plain_template

PLAIN = plain_template()
RESOURCES: dict[str, dict[str, Any]] = PLAIN["Resources"]
ROLES = resources_of_type(PLAIN, "AWS::IAM::Role")
SAM_FUNCTIONS = resources_of_type(load_template(), "AWS::Serverless::Function")
NO_VALUE = {"Ref": "AWS::NoValue"}
# The one managed policy SAM attaches to every role it makes: CloudWatch Logs only.
BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
# What SAM attaches for an SQS event source: receive, delete and read attributes of queues.
SQS_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"
# The planner only leases and queues: it publishes no alert and no event.
SILENT_FUNCTIONS = {"CheckPlannerFunction"}
# The chat relay's role (template.yaml, only with a Slack or Teams channel): read-only.
CHAT_ROLE = "ChatChannelRole"
CLOUDWATCH_READ_ONLY = {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/CloudWatchReadOnlyAccess"}
# Wildcards AWS needs: a table's indexes, and secrets (their ARNs end in random characters).
ALLOWED_RESOURCE_WILDCARDS = (
    "table/${tableName}/index/*",
    "secret:${SecretPrefix}*",
    "parameter/${SecretPrefix}*",
)
ACCOUNT_PRINCIPALS = (
    {"Ref": "AWS::AccountId"},
    {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"},
)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _unconditional(entry: Any) -> list[Any]:
    """Both sides of an Fn::If (without AWS::NoValue), or the entry itself."""
    if isinstance(entry, dict) and "Fn::If" in entry:
        return [
            side
            for branch in entry["Fn::If"][1:]
            if branch != NO_VALUE
            for side in _unconditional(branch)
        ]
    return [entry]


def _role_statements(role_id: str) -> list[dict[str, Any]]:
    policies = [
        policy
        for entry in ROLES[role_id]["Properties"].get("Policies", [])
        for policy in _unconditional(entry)
    ]
    return [statement for policy in policies for statement in policy["PolicyDocument"]["Statement"]]


def _mentions(value: Any, logical_id: str) -> bool:
    text = json.dumps(value)
    return f'"Ref": "{logical_id}"' in text or f'["{logical_id}", "Arn"]' in text


@pytest.mark.parametrize("function_id", sorted(SAM_FUNCTIONS))
def test_no_function_has_a_public_url(function_id: str) -> None:
    assert "FunctionUrlConfig" not in SAM_FUNCTIONS[function_id]["Properties"]
    assert not resources_of_type(PLAIN, "AWS::Lambda::Url")


def test_every_lambda_permission_stays_in_the_account() -> None:
    for permission in resources_of_type(PLAIN, "AWS::Lambda::Permission").values():
        properties = permission["Properties"]
        principal = properties["Principal"]
        if isinstance(principal, str) and principal.endswith(".amazonaws.com"):
            # A service may invoke only on behalf of this account's resources.
            assert {"SourceArn", "SourceAccount"} & set(properties), properties
        else:
            assert principal in ACCOUNT_PRINCIPALS, properties
        assert "FunctionUrlAuthType" not in properties


def test_only_the_monitor_and_the_check_worker_may_invoke_the_incident_responder() -> None:
    invokers = {
        role_id: statement["Resource"]
        for role_id in ROLES
        for statement in _role_statements(role_id)
        if "lambda:InvokeFunction" in _as_list(statement["Action"])
        and _mentions(statement["Resource"], "IncidentResponderFunction")
    }

    assert invokers == {
        "UsageMonitorFunctionRole": {"Fn::GetAtt": ["IncidentResponderFunction", "Arn"]},
        "CheckWorkerFunctionRole": {"Fn::GetAtt": ["IncidentResponderFunction", "Arn"]},
    }
    assert not [
        permission
        for permission in resources_of_type(PLAIN, "AWS::Lambda::Permission").values()
        if _mentions(permission["Properties"]["FunctionName"], "IncidentResponderFunction")
    ]


@pytest.mark.parametrize("role_id", sorted(ROLES))
def test_generated_roles_are_scoped_to_this_stack(role_id: str) -> None:
    for statement in _role_statements(role_id):
        assert statement["Effect"] == "Allow"
        assert "NotAction" not in statement
        assert "NotResource" not in statement
        for action in _as_list(statement["Action"]):
            assert action != "*"
            assert not action.endswith(":*"), statement
        for resource in _as_list(statement["Resource"]):
            # Every resource is built from this stack's resources or parameters.
            assert isinstance(resource, dict), statement
            text = json.dumps(resource).replace('"', "")
            for allowed in ALLOWED_RESOURCE_WILDCARDS:
                text = text.replace(allowed, "")
            assert "*" not in text, statement


@pytest.mark.parametrize("role_id", sorted(set(ROLES) - {CHAT_ROLE}))
def test_roles_are_assumed_only_by_lambda_or_the_scheduler(role_id: str) -> None:
    properties = ROLES[role_id]["Properties"]
    principals = [
        service
        for statement in properties["AssumeRolePolicyDocument"]["Statement"]
        for service in _as_list(statement["Principal"]["Service"])
    ]

    assert set(principals) <= {"lambda.amazonaws.com", "scheduler.amazonaws.com"}
    allowed = {BASIC_EXECUTION} | (
        {SQS_EXECUTION} if role_id == "CheckWorkerFunctionRole" else set()
    )
    assert set(properties.get("ManagedPolicyArns", [])) <= allowed


def test_only_the_default_event_bus_may_be_put_on() -> None:
    grants = [
        statement
        for role_id in ROLES
        for statement in _role_statements(role_id)
        if any(action.startswith("events:") for action in _as_list(statement["Action"]))
    ]

    # one per function that publishes alerts: all but the planner
    assert len(grants) == len(set(SAM_FUNCTIONS) - SILENT_FUNCTIONS)
    for grant in grants:
        assert _as_list(grant["Action"]) == ["events:PutEvents"]
        assert grant["Resource"]["Fn::Sub"].endswith(":event-bus/default")


def test_the_chat_role_is_assumed_only_by_the_chat_relay_and_reads_cloudwatch() -> None:
    properties = ROLES[CHAT_ROLE]["Properties"]
    [statement] = properties["AssumeRolePolicyDocument"]["Statement"]

    assert statement["Principal"] == {"Service": "chatbot.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"
    assert properties["ManagedPolicyArns"] == [CLOUDWATCH_READ_ONLY]
    assert "Policies" not in properties


def test_schedules_invoke_only_their_own_function() -> None:
    for schedule_id, schedule in resources_of_type(PLAIN, "AWS::Scheduler::Schedule").items():
        target = schedule["Properties"]["Target"]
        role_id = target["RoleArn"]["Fn::GetAtt"][0]
        function_id = re.sub(r"(Check|CollectUsageFiles|ReleaseRecovered)$", "", schedule_id)

        assert target["Arn"] == {"Fn::GetAtt": [function_id, "Arn"]}
        assert [s["Resource"] for s in _role_statements(role_id)] == [target["Arn"]]
