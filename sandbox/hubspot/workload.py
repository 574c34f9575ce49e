"""What an enabled HubSpot workflow spends. A workflow spends portal calls only through its
custom-code actions (or webhooks calling back with a token), and Salesforce calls through
the connector for its Salesforce actions (docs/platform-notes.md S6): both per
enrolment. Its other actions (emails, delays, property updates) spend nothing."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WorkflowLoad:
    enrolments_per_hour: float = 0.0
    custom_code_calls: float = 0.0  # portal calls its custom code makes per enrolment
    salesforce_actions: float = 0.0  # Salesforce actions per enrolment (via the connector)

    @property
    def portal_calls_per_hour(self) -> float:
        return self.enrolments_per_hour * self.custom_code_calls

    @property
    def salesforce_actions_per_hour(self) -> float:
        return self.enrolments_per_hour * self.salesforce_actions
