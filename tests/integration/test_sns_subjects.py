"""SNS Publish takes a Subject "less than 100 characters", ASCII, without line breaks: the
local stack refuses what the API reference forbids, and every alert subject gets through."""

from __future__ import annotations

import botocore.exceptions
import pytest

from apibrake.models.alert import Alert, Severity
from apibrake.warn.publisher import AlertPublisher
from localaws import LocalAws


def _publish_subject(aws: LocalAws, subject: str) -> None:
    aws.client("sns").publish(TopicArn=aws.alert_topic_arn, Subject=subject, Message="m")


@pytest.mark.parametrize("subject", ["x" * 100, "usage d\u00e9pass\u00e9e", "two\nlines"])
def test_the_local_stack_refuses_a_subject_the_reference_forbids(
    aws: LocalAws, subject: str
) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        _publish_subject(aws, subject)

    assert refused.value.response["Error"]["Code"] == "InvalidParameter"


def test_the_local_stack_takes_99_characters(aws: LocalAws) -> None:
    inbox = aws.alert_inbox()

    _publish_subject(aws, "x" * 99)

    assert [alert.subject for alert in inbox.receive()] == ["x" * 99]


def test_a_long_accented_multiline_alert_subject_is_published_cut_to_99(aws: LocalAws) -> None:
    inbox = aws.alert_inbox()
    long_id = "sf-" + "r\u00e9gion-" * 20
    alert = Alert(
        subject=f"[apibrake] CRITICAL {long_id}: flow:Caf\u00e9 \u2013 rollup\nbraked",
        body="body",
        sms="sms",
        severity=Severity.CRITICAL,
        connection_id="sf-prod",
        platform="salesforce",
        kind="brake",
    )

    AlertPublisher(aws.client("sns"), aws.alert_topic_arn).publish(alert)

    [received] = inbox.receive()
    assert received.subject is not None
    assert len(received.subject) == 99
    assert received.subject.startswith("[apibrake] CRITICAL sf-region-region-")
    assert received.subject.endswith("...")
