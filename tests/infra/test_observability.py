"""apibrake watches itself: alarms to the alert topic, a dashboard, kept logs, optional tracing."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from localaws import LocalAws, load_template, resources_of_type
from localaws.template import function_properties

TEMPLATE = load_template()
RESOURCES: dict[str, dict[str, Any]] = TEMPLATE["Resources"]
FUNCTIONS = resources_of_type(TEMPLATE, "AWS::Serverless::Function")
ALARMS = resources_of_type(TEMPLATE, "AWS::CloudWatch::Alarm")
LOG_GROUPS = resources_of_type(TEMPLATE, "AWS::Logs::LogGroup")
GLOBAL_ENVIRONMENT = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
# Where the check planner emits its per-tick metrics (ChecksCompleted, OverdueChecks).
MONITOR_APP = Path(__file__).resolve().parents[2] / "layers/apibrake/apibrake/runtime/fleet.py"
_SEARCH_NAMESPACE = re.compile(r"SEARCH\('\{([^,}]+),")


@pytest.mark.parametrize("alarm_id", sorted(ALARMS))
def test_alarm_notifies_the_alert_topic(alarm_id: str) -> None:
    properties = ALARMS[alarm_id]["Properties"]

    assert properties["AlarmActions"] == [{"Ref": "AlertTopic"}]
    assert properties.get("OKActions", [{"Ref": "AlertTopic"}]) == [{"Ref": "AlertTopic"}]


def test_every_function_failure_raises_an_alarm() -> None:
    watched = {
        dimension["Value"]["Ref"]
        for alarm in ALARMS.values()
        if alarm["Properties"].get("Namespace") == "AWS/Lambda"
        and alarm["Properties"]["MetricName"] == "Errors"
        and alarm["Properties"]["Threshold"] == 1
        and alarm["Properties"]["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        for dimension in alarm["Properties"]["Dimensions"]
        if dimension["Name"] == "FunctionName"
    }

    assert watched == set(FUNCTIONS)


def test_a_silent_monitor_raises_an_alarm() -> None:
    properties = RESOURCES["MonitorStoppedAlarm"]["Properties"]

    assert properties["Namespace"] == GLOBAL_ENVIRONMENT["POWERTOOLS_METRICS_NAMESPACE"]
    assert properties["Dimensions"] == [
        {"Name": "service", "Value": GLOBAL_ENVIRONMENT["POWERTOOLS_SERVICE_NAME"]}
    ]
    assert properties["TreatMissingData"] == "breaching"
    assert f'"{properties["MetricName"]}"' in MONITOR_APP.read_text(encoding="utf-8")


@pytest.mark.parametrize("per_connection", ["true", "false"])
def test_dashboard_is_json_over_the_functions_metrics_and_logs(per_connection: str) -> None:
    stack = LocalAws(parameters={"PerConnectionMetrics": per_connection})
    body = stack.resolve(RESOURCES["UsageDashboard"]["Properties"]["DashboardBody"])

    widgets = json.loads(body)["widgets"]
    namespaces = set(_SEARCH_NAMESPACE.findall(body))
    queries = [w["properties"]["query"] for w in widgets if w["type"] == "log"]

    assert {widget["properties"]["region"] for widget in widgets} == {stack.region}
    # per-connection metrics graphed only when they exist
    expected = (
        {GLOBAL_ENVIRONMENT["POWERTOOLS_METRICS_NAMESPACE"]} if per_connection == "true" else set()
    )
    assert namespaces == expected
    # each connection's values from the checks' log lines, in both function log groups
    assert queries
    for query in queries:
        assert "SOURCE '/aws/lambda/apibrake-CheckWorkerFunction'" in query
        assert "SOURCE '/aws/lambda/apibrake-UsageMonitorFunction'" in query
        assert "filter message = 'connection checked'" in query


def test_dashboard_url_output_opens_the_dashboard() -> None:
    url = LocalAws(stack_name="acme").outputs()["DashboardUrl"]

    assert url.startswith("https://us-east-1.console.aws.amazon.com/cloudwatch/")
    assert url.endswith("#dashboards:name=acme-usage")


def test_each_function_log_group_keeps_logs_for_the_retention_parameter() -> None:
    stack = LocalAws()
    names = {stack.resolve(group["Properties"]["LogGroupName"]) for group in LOG_GROUPS.values()}

    assert names == {f"/aws/lambda/{name}" for name in stack.function_names.values()}
    for group in LOG_GROUPS.values():
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert TEMPLATE["Parameters"]["LogRetentionDays"]["Default"] == 30


@pytest.mark.parametrize(
    ("tracing", "trace_disabled"),
    [("Disabled", "true"), ("Active", "false"), ("PassThrough", "false")],
)
def test_powertools_tracing_flag_follows_the_parameter(tracing: str, trace_disabled: str) -> None:
    stack = LocalAws(parameters={"EnableTracing": tracing})

    for function_id in FUNCTIONS:
        properties = stack.resolve(function_properties(TEMPLATE, function_id))
        assert properties["Tracing"] == tracing
        assert stack.function_environment(function_id)["POWERTOOLS_TRACE_DISABLED"] == (
            trace_disabled
        )


def test_schedules_send_json_objects() -> None:
    inputs = {
        (function_id, event_id): json.loads(event["Properties"]["Input"])
        for function_id, function in FUNCTIONS.items()
        for event_id, event in function["Properties"].get("Events", {}).items()
        if event["Type"] == "ScheduleV2"
    }

    assert inputs == {
        ("CheckPlannerFunction", "Check"): {"scheduled": True},  # a tick: only the due ones
        ("CheckPlannerFunction", "CollectUsageFiles"): {"collect": "usage_files"},
        ("RestoreFunction", "ReleaseRecovered"): {"action": "release_recovered"},
    }


def test_a_hot_connection_checked_late_raises_an_alarm() -> None:
    # Given the alarm on the monitor's OverdueChecks metric
    properties = RESOURCES["OverdueChecksAlarm"]["Properties"]

    # Then it watches the metric the monitor emits, per minute (one tick), in the functions'
    # namespace and service, fires on the first overdue hot check, and is quiet without data
    # (a stopped monitor is MonitorStoppedAlarm's)
    assert properties["Namespace"] == GLOBAL_ENVIRONMENT["POWERTOOLS_METRICS_NAMESPACE"]
    assert properties["Dimensions"] == [
        {"Name": "service", "Value": GLOBAL_ENVIRONMENT["POWERTOOLS_SERVICE_NAME"]}
    ]
    assert f'"{properties["MetricName"]}"' in MONITOR_APP.read_text(encoding="utf-8")
    assert properties["Period"] == 60
    assert (properties["Threshold"], properties["ComparisonOperator"]) == (
        1,
        "GreaterThanOrEqualToThreshold",
    )
    assert properties["TreatMissingData"] == "notBreaching"
