"""An alert as every channel gets it: subject, email body, SMS text and routing attributes,
plus the structured parts (usage, forecast, next steps) that chat messages and events are
built from."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from apibrake.models.attribution import Suspects


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


@dataclass(frozen=True)
class Alert:
    subject: str
    body: str  # what email subscribers read
    sms: str  # what phones get: short, plain
    severity: Severity
    connection_id: str
    platform: str
    kind: str  # threshold | forecast | connection_error | limit_exhausted | brake | release ...
    # Structured parts, filled where the alert is composed; empty when they do not apply.
    usage_line: str = ""  # "Usage: 12,000 of 15,000 calls (80.0%), 3,000 remaining."
    forecast_line: str = ""  # "Forecast at this rate: brake threshold 90% in 45 min; ..."
    next_steps: tuple[str, ...] = ()  # what to do now, exact commands included
    suspects: str = ""  # who is spending the calls, once attribution knows (one line)
    attribution: Suspects | None = None  # the same, structured (events carry it)
    incident_id: str = ""
    dry_run: bool = False  # a dry run's brake or release summary
    percent: float | None = None
    used: int | None = None
    limit: int | None = None

    def attributes(self) -> dict[str, dict[str, str]]:
        """SNS message attributes; subscription filter policies match on these."""
        values = {
            "severity": self.severity.value,
            "connection_id": self.connection_id,
            "platform": self.platform,
            "kind": self.kind,
        }
        return {k: {"DataType": "String", "StringValue": v} for k, v in values.items() if v}
