"""An alert as a chat message: the custom notification format of Amazon Q Developer in chat
applications (formerly AWS Chatbot), the relay that posts SNS messages to Slack and Teams.

The relay drops any message that is not in its format, so the publisher sends this as the
topic's `https` (and `http`) variant: the relay's subscription is an https one. The format
(AWS docs, "Custom notifications using Amazon Q Developer in chat applications"):
`version` must be "1.0", `source` must be "custom"; `content` has `textType` (only
"client-markdown"), `title`, `description`, `nextSteps` and `keywords`; `metadata` has
`threadId`, `summary`, `eventType`, `relatedResources` and `additionalContext`. The page
gives no length limits; the ones here are Slack's Block Kit limits (a header 150
characters, a section 3,000), which the relay renders into, so nothing is cut by Slack.
"""

from __future__ import annotations

import re
from typing import Any

from apibrake.models.alert import Alert, Severity

VERSION = "1.0"
SOURCE = "custom"
TEXT_TYPE = "client-markdown"
TITLE_MAX_CHARS = 150
DESCRIPTION_MAX_CHARS = 3_000
NEXT_STEPS_MAX = 5
NEXT_STEP_MAX_CHARS = 1_000
KEYWORDS_MAX = 5
KEYWORD_MAX_CHARS = 50
SUMMARY_MAX_CHARS = 160
# Custom actions match notifications by type: letters, digits and hyphens only.
_EVENT_TYPE_UNSAFE = re.compile(r"[^A-Za-z0-9-]+")
_EMOJI = {
    Severity.CRITICAL: ":rotating_light:",
    Severity.WARNING: ":warning:",
    Severity.INFO: ":information_source:",
}
_CUT = " ... (cut: the email alert has the full text)"


def chat_notification(alert: Alert) -> dict[str, Any]:
    """The alert in the chat relay's custom notification format."""
    content: dict[str, Any] = {
        "textType": TEXT_TYPE,
        "title": _clip(
            f"{_EMOJI[alert.severity]} {alert.subject.removeprefix('[apibrake] ')}", TITLE_MAX_CHARS
        ),
        "description": _clip(_description(alert), DESCRIPTION_MAX_CHARS, _CUT),
        "keywords": [
            _clip(word, KEYWORD_MAX_CHARS)
            for word in ("apibrake", alert.severity.value, alert.platform, alert.kind)
            if word
        ][:KEYWORDS_MAX],
    }
    steps = _next_steps(alert.next_steps)
    if steps:
        content["nextSteps"] = steps
    context = {
        "connection_id": alert.connection_id,
        "severity": alert.severity.value,
        "kind": alert.kind,
        "platform": alert.platform,
        "incident_id": alert.incident_id,
        "percent": "" if alert.percent is None else f"{alert.percent:g}",
    }
    return {
        "version": VERSION,
        "source": SOURCE,
        "content": content,
        "metadata": {
            # One thread per incident (brake, then release), else per connection.
            "threadId": f"apibrake-{alert.incident_id or alert.connection_id}",
            "summary": _clip(alert.sms, SUMMARY_MAX_CHARS),
            "eventType": "apibrake-" + _EVENT_TYPE_UNSAFE.sub("-", alert.kind).strip("-"),
            "additionalContext": {key: value for key, value in context.items() if value},
        },
    }


def _description(alert: Alert) -> str:
    """Usage, forecast and suspects where the alert has them; else its whole text."""
    lines = [alert.usage_line, alert.forecast_line]
    if alert.suspects:
        lines.append(f"Suspects: {alert.suspects}")
    structured = "\n".join(line for line in lines if line)
    return structured or alert.body.strip()


def _next_steps(steps: tuple[str, ...]) -> list[str]:
    if len(steps) > NEXT_STEPS_MAX:
        rest = len(steps) - NEXT_STEPS_MAX + 1
        steps = (*steps[: NEXT_STEPS_MAX - 1], f"... and {rest} more: see the email alert")
    return [_clip(step, NEXT_STEP_MAX_CHARS) for step in steps]


def _clip(text: str, limit: int, marker: str = "...") -> str:
    return text if len(text) <= limit else text[: limit - len(marker)] + marker
