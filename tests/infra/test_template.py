"""The template declares what the design promises, and the local stack matches it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from localaws import LocalAws, load_template, resources_of_type
from localaws.template import function_properties

TEMPLATE = load_template()
TABLES = resources_of_type(TEMPLATE, "AWS::DynamoDB::Table")
FUNCTIONS = resources_of_type(TEMPLATE, "AWS::Serverless::Function")
_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
_SECONDS_PER_UNIT = {"minute": 60, "hour": 3600, "day": 86400}
# Once a day at a fixed time: cron(M H * * ? *).
_DAILY_CRON = re.compile(r"cron\(\d{1,2} \d{1,2} \* \* \? \*\)")


def _schedule_periods_seconds(function_id: str) -> list[int]:
    """Period of every schedule that invokes the function, from parameter defaults."""
    periods = []
    for event in FUNCTIONS[function_id]["Properties"].get("Events", {}).values():
        if event["Type"] not in {"Schedule", "ScheduleV2"}:
            continue
        expression: Any = event["Properties"]["ScheduleExpression"]
        if isinstance(expression, dict):
            expression = TEMPLATE["Parameters"][expression["Ref"]]["Default"]
        if _DAILY_CRON.fullmatch(expression):
            periods.append(_SECONDS_PER_UNIT["day"])
            continue
        match = _RATE.fullmatch(expression)
        assert match, f"{function_id}: cannot read the period of {expression!r}"
        count, unit = int(match.group(1)), match.group(2).rstrip("s")
        periods.append(count * _SECONDS_PER_UNIT[unit])
    return periods


def test_template_declares_the_five_functions_and_four_tables() -> None:
    assert set(FUNCTIONS) == {
        "UsageMonitorFunction",
        "IncidentResponderFunction",
        "RestoreFunction",
        "CheckPlannerFunction",
        "CheckWorkerFunction",
    }
    assert set(TABLES) == {"ConnectionsTable", "AllowlistTable", "StateTable", "IdempotencyTable"}


@pytest.mark.parametrize("function_id", sorted(FUNCTIONS))
def test_functions_run_python312_on_arm64(function_id: str) -> None:
    properties = function_properties(TEMPLATE, function_id)

    assert properties["Runtime"] == "python3.12"
    assert properties["Architectures"] == ["arm64"]


def test_the_planner_ticks_every_minute_and_queues_the_daily_collection() -> None:
    # Each connection's cadence decides when it is checked; the schedule only ticks. The
    # daily usage-file collection is the planner's too (fanned out to the worker).
    assert sorted(_schedule_periods_seconds("CheckPlannerFunction")) == [60, 86_400]
    assert _schedule_periods_seconds("UsageMonitorFunction") == []


@pytest.mark.parametrize("function_id", sorted(FUNCTIONS))
def test_function_timeout_is_below_its_schedule_period(function_id: str) -> None:
    timeout = function_properties(TEMPLATE, function_id)["Timeout"]

    for period in _schedule_periods_seconds(function_id):
        assert timeout < period


def test_scheduled_functions_are_the_planner_and_restore() -> None:
    # The usage monitor runs when an operator invokes it; no schedule of its own.
    scheduled = {function_id for function_id in FUNCTIONS if _schedule_periods_seconds(function_id)}

    assert scheduled == {"CheckPlannerFunction", "RestoreFunction"}


def test_only_the_monitor_knows_the_incident_function(local_aws: LocalAws) -> None:
    environments = {
        function_id: local_aws.function_environment(function_id) for function_id in FUNCTIONS
    }

    assert (
        environments["UsageMonitorFunction"]["INCIDENT_FUNCTION_NAME"]
        == (local_aws.function_names["IncidentResponderFunction"])
    )
    assert "INCIDENT_FUNCTION_NAME" not in environments["IncidentResponderFunction"]
    assert "INCIDENT_FUNCTION_NAME" not in environments["RestoreFunction"]


@pytest.mark.parametrize("function_id", sorted(FUNCTIONS))
def test_function_environment_names_real_local_resources(
    local_aws: LocalAws, function_id: str
) -> None:
    environment = local_aws.function_environment(function_id)
    dynamodb = local_aws.client("dynamodb")
    sns = local_aws.client("sns")

    for variable in ("CONNECTIONS_TABLE", "ALLOWLIST_TABLE", "STATE_TABLE", "IDEMPOTENCY_TABLE"):
        table = dynamodb.describe_table(TableName=environment[variable])["Table"]
        assert table["TableStatus"] == "ACTIVE"
    attributes = sns.get_topic_attributes(TopicArn=environment["ALERT_TOPIC_ARN"])["Attributes"]
    assert attributes["TopicArn"] == local_aws.alert_topic_arn
    assert environment["POWERTOOLS_SERVICE_NAME"] == "apibrake"
    assert environment["SECRET_PREFIX"] == "apibrake/"


@pytest.mark.parametrize("function_id", sorted(FUNCTIONS))
def test_every_reference_in_a_function_resolves(local_aws: LocalAws, function_id: str) -> None:
    # sam validate does not check references inside serverless resources.
    properties = local_aws.resolve(function_properties(TEMPLATE, function_id))

    assert properties["Layers"] == [local_aws.resolve({"Ref": "ApiBrakeLayer"})]


@pytest.mark.parametrize("table_id", sorted(TABLES))
def test_local_table_has_the_template_key_schema_and_ttl(
    local_aws: LocalAws, table_id: str
) -> None:
    declared = TABLES[table_id]["Properties"]
    dynamodb = local_aws.client("dynamodb")
    name = local_aws.table_name(table_id)

    table = dynamodb.describe_table(TableName=name)["Table"]
    ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]

    assert table["KeySchema"] == declared["KeySchema"]
    assert sorted(table["AttributeDefinitions"], key=str) == sorted(
        declared["AttributeDefinitions"], key=str
    )
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    if "TimeToLiveSpecification" in declared:
        assert ttl == {
            "TimeToLiveStatus": "ENABLED",
            "AttributeName": declared["TimeToLiveSpecification"]["AttributeName"],
        }
    else:
        assert ttl["TimeToLiveStatus"] == "DISABLED"


def test_ttl_attributes_are_the_ones_the_code_writes() -> None:
    ttl_attributes = {
        table_id: table["Properties"].get("TimeToLiveSpecification", {}).get("AttributeName")
        for table_id, table in TABLES.items()
    }

    assert ttl_attributes["StateTable"] == "expires_at"
    assert ttl_attributes["IdempotencyTable"] == "expiration"  # Powertools' default


def test_alert_topic_exists_locally(local_aws: LocalAws) -> None:
    topics = local_aws.client("sns").list_topics()["Topics"]

    assert {"TopicArn": local_aws.alert_topic_arn} in topics


def test_outputs_resolve_to_local_names(local_aws: LocalAws) -> None:
    outputs = local_aws.outputs()

    assert outputs["StateTableName"] == local_aws.table_name("StateTable")
    assert outputs["AlertTopicArn"] == local_aws.alert_topic_arn
    assert outputs["RestoreFunctionName"] == "apibrake-RestoreFunction"


def test_sms_subscription_only_carries_chosen_severities() -> None:
    subscription = TEMPLATE["Resources"]["AlertSmsSubscription"]

    assert subscription["Condition"] == "HasAlertPhoneNumber"
    assert subscription["Properties"]["FilterPolicyScope"] == "MessageAttributes"
    assert subscription["Properties"]["FilterPolicy"] == {"severity": {"Ref": "SmsSeverities"}}
    assert TEMPLATE["Parameters"]["SmsSeverities"]["Default"] == "critical"
