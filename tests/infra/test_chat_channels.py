"""Slack and Teams channels: created only when their parameters are set, subscribed to the
alert topic, read-only, and no trouble for the local stack."""

from __future__ import annotations

import pytest

from localaws import LocalAws, load_template, resources_of_type

TEMPLATE = load_template()
SLACK_TYPE = "AWS::Chatbot::SlackChannelConfiguration"
TEAMS_TYPE = "AWS::Chatbot::MicrosoftTeamsChannelConfiguration"
CHANNELS = {**resources_of_type(TEMPLATE, SLACK_TYPE), **resources_of_type(TEMPLATE, TEAMS_TYPE)}
SLACK = {"SlackWorkspaceId": "T0123ABCD", "SlackChannelId": "C0123ABCD"}
TEAMS = {
    "TeamsTenantId": "11111111-2222-3333-4444-555555555555",
    "TeamsTeamId": "66666666-7777-8888-9999-000000000000",
    "TeamsChannelId": "19%3aabcdef%40thread.tacv2",
}
READ_ONLY = "arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess"


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        ({}, set()),
        ({"SlackWorkspaceId": "T0123ABCD"}, set()),  # half a channel is none
        (SLACK, {"SlackAlertChannel", "ChatChannelRole"}),
        (TEAMS, {"TeamsAlertChannel", "ChatChannelRole"}),
        ({**SLACK, **TEAMS}, {"SlackAlertChannel", "TeamsAlertChannel", "ChatChannelRole"}),
    ],
)
def test_channels_exist_only_when_their_parameters_are_set(
    parameters: dict[str, str], expected: set[str]
) -> None:
    stack = LocalAws(parameters=parameters)

    live = {
        logical_id
        for resource_type in (SLACK_TYPE, TEAMS_TYPE, "AWS::IAM::Role")
        for logical_id in stack.live_resources(resource_type)
    }

    assert live == expected


@pytest.mark.parametrize("channel_id", sorted(CHANNELS))
def test_channels_get_the_alerts_under_a_read_only_guardrail(channel_id: str) -> None:
    stack = LocalAws(parameters={**SLACK, **TEAMS})
    properties = CHANNELS[channel_id]["Properties"]

    assert stack.resolve(properties["SnsTopicArns"]) == [stack.alert_topic_arn]
    # Never the default (AdministratorAccess): anything run from the channel reads only.
    assert stack.resolve(properties["GuardrailPolicies"]) == [READ_ONLY]
    assert properties["IamRoleArn"] == {"Fn::GetAtt": ["ChatChannelRole", "Arn"]}
    assert properties["UserRoleRequired"] is False


def test_the_local_stack_starts_with_chat_channels_set() -> None:
    # moto has no chat service: the channels are declared, never created, and nothing that
    # is created refers to them.
    with LocalAws(parameters={**SLACK, **TEAMS}) as stack:
        topics = stack.client("sns").list_topics()["Topics"]
        outputs = stack.outputs()

    assert [topic["TopicArn"] for topic in topics] == [stack.alert_topic_arn]
    assert outputs["AlertTopicArn"] == stack.alert_topic_arn
