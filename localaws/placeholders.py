"""What resources the local stack declares but never creates resolve to.

KMS keys, dashboards, alarms and log groups only matter to a real
deployment, yet the rest of the template refers to them: the topic and the
functions' policies name the topic key, an output links the dashboard. So
each gets a stand-in of the shape the real value has, and stays out of moto.
The topic keeps its KmsMasterKeyId as a plain attribute; moto does not
encrypt with it.
"""

from __future__ import annotations

import uuid

KMS_KEY_TYPE = "AWS::KMS::Key"

# Types whose Ref is the name set by one of their properties (else one CloudFormation makes up).
NAME_PROPERTIES = {
    "AWS::CloudWatch::Dashboard": "DashboardName",
    "AWS::CloudWatch::Alarm": "AlarmName",
    "AWS::Logs::LogGroup": "LogGroupName",
}


def kms_key_id(stack_name: str, logical_id: str) -> str:
    """A well-formed key id, the same on every start, as a deployed key's would be."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"localaws:{stack_name}/{logical_id}"))
