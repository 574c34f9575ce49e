"""An alert as every channel gets it: subject, email body, SMS text and routing attributes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


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

    def attributes(self) -> dict[str, dict[str, str]]:
        """SNS message attributes; subscription filter policies match on these."""
        values = {
            "severity": self.severity.value,
            "connection_id": self.connection_id,
            "platform": self.platform,
            "kind": self.kind,
        }
        return {k: {"DataType": "String", "StringValue": v} for k, v in values.items() if v}
