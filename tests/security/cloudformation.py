"""template.yaml as the plain CloudFormation that SAM deploys, for scanners and IAM tests.

checkov reads SAM resources but not the roles, permissions and schedules SAM generates
from them; the translated template shows those. Run as a module to write it to a file:
`python -m tests.security.cloudformation OUT.json`.
"""

from __future__ import annotations

import copy
import json
import os
import sys
from functools import cache
from pathlib import Path
from typing import Any

from samtranslator.translator.transform import transform

from localaws import load_template

# Values only for the translation; the output keeps every Ref and Fn::Sub as written.
_PSEUDO_PARAMETERS: dict[str, Any] = {
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws",
    "AWS::Region": "us-east-1",
    "AWS::StackName": "apibrake",
    "AWS::StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/apibrake/1",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::NotificationARNs": [],
}


class _NoManagedPolicies:
    """The template names no managed policy; SAM asks this loader only for such names."""

    def load(self) -> dict[str, str]:
        return {}


@cache
def _translated() -> dict[str, Any]:
    # SAM asks boto3 for a region even when the pseudo parameters give one.
    os.environ.setdefault("AWS_DEFAULT_REGION", str(_PSEUDO_PARAMETERS["AWS::Region"]))
    template = load_template()
    for resource in template["Resources"].values():
        # Local code folders become S3 locations when `sam package` uploads them.
        for uri in ("CodeUri", "ContentUri"):
            if isinstance(resource.get("Properties", {}).get(uri), str):
                resource["Properties"][uri] = f"s3://artifacts/{resource['Properties'][uri]}"
    parameters = {
        name: spec["Default"]
        for name, spec in template.get("Parameters", {}).items()
        if "Default" in spec
    }
    loader: Any = _NoManagedPolicies()
    # Metadata carries the checkov suppressions (with their reasons) to the generated resources.
    plain: dict[str, Any] = transform(
        template, {**parameters, **_PSEUDO_PARAMETERS}, loader, passthrough_metadata=True
    )
    return plain


def plain_template() -> dict[str, Any]:
    """A fresh copy of the translated template (callers may change it)."""
    return copy.deepcopy(_translated())


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else Path(".aws-sam/plain/template.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(plain_template(), indent=1, default=str), encoding="utf-8")
    print(f"plain CloudFormation written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
