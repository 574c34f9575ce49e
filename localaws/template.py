"""Read template.yaml as plain data, CloudFormation short tags included.

PyYAML cannot read `!Ref X` or `!GetAtt A.B` on its own; this loader turns
every short tag into the long form CloudFormation itself uses (`{"Ref": "X"}`,
`{"Fn::GetAtt": ["A", "B"]}`), so tests and the local stack read exactly what
would be deployed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def _template_path() -> Path:
    """template.yaml of the source tree: beside the packages in a clone (editable install),
    else in the current directory (an installed CLI run from the clone)."""
    beside = Path(__file__).resolve().parent.parent / "template.yaml"
    return beside if beside.is_file() else Path.cwd() / "template.yaml"


TEMPLATE_PATH = _template_path()

Template = dict[str, Any]

# Short tag -> long-form key. `!Ref` and `!Condition` are not `Fn::` functions.
_LONG_FORMS = {
    "Ref": "Ref",
    "Condition": "Condition",
    **{
        name: f"Fn::{name}"
        for name in (
            "GetAtt",
            "Sub",
            "If",
            "Equals",
            "Not",
            "And",
            "Or",
            "Join",
            "Select",
            "Split",
            "FindInMap",
            "Base64",
            "ImportValue",
            "GetAZs",
            "Cidr",
            "Length",
            "ToJsonString",
        )
    },
}


class CloudFormationLoader(yaml.SafeLoader):
    """A SafeLoader that also understands CloudFormation's short tags."""


def _construct_short_tag(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> Any:
    key = _LONG_FORMS.get(tag_suffix)
    if key is None:
        raise yaml.constructor.ConstructorError(
            None, None, f"unknown CloudFormation tag !{tag_suffix}", node.start_mark
        )
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if key == "Fn::GetAtt":
            # `!GetAtt Resource.Attribute` is the scalar spelling of a 2-item list.
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {key: value}


CloudFormationLoader.add_multi_constructor("!", _construct_short_tag)


def load_template(path: Path | str = TEMPLATE_PATH) -> Template:
    """Parse a CloudFormation/SAM template into plain dicts and lists."""
    with Path(path).open(encoding="utf-8") as stream:
        data = yaml.load(stream, Loader=CloudFormationLoader)  # noqa: S506 - SafeLoader subclass
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a CloudFormation template")
    return data


def resources_of_type(template: Template, resource_type: str) -> dict[str, dict[str, Any]]:
    """Logical id -> resource, for every resource of `resource_type`, in template order."""
    resources: dict[str, dict[str, Any]] = template.get("Resources", {})
    return {
        logical_id: resource
        for logical_id, resource in resources.items()
        if resource.get("Type") == resource_type
    }


def function_properties(template: Template, logical_id: str) -> dict[str, Any]:
    """A serverless function's properties with Globals.Function applied.

    Environment variables merge (the function's own win); any other property
    set on the function replaces the global one, as SAM does for scalars.
    """
    function = template["Resources"][logical_id]
    if function.get("Type") != "AWS::Serverless::Function":
        raise ValueError(f"{logical_id} is not an AWS::Serverless::Function")
    global_properties: dict[str, Any] = dict(template.get("Globals", {}).get("Function", {}))
    own: dict[str, Any] = function.get("Properties", {})
    merged = {**global_properties, **own}
    merged["Environment"] = {
        "Variables": {
            **global_properties.get("Environment", {}).get("Variables", {}),
            **own.get("Environment", {}).get("Variables", {}),
        }
    }
    return merged
