"""Local AWS for development and tests: moto server plus the resources of template.yaml."""

from localaws.inbox import AlertInbox, EventInbox, ReceivedAlert
from localaws.stack import LocalAws
from localaws.template import TEMPLATE_PATH, load_template, resources_of_type

__all__ = [
    "TEMPLATE_PATH",
    "AlertInbox",
    "EventInbox",
    "LocalAws",
    "ReceivedAlert",
    "load_template",
    "resources_of_type",
]
