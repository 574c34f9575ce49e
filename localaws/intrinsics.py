"""Evaluate the CloudFormation intrinsic functions the template uses.

Just enough of CloudFormation to compute, locally, the values a deployed
stack would hand its functions: Ref (parameters, pseudo parameters and
resources), GetAtt, Sub, If and the condition functions, Join, Select, Split.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from localaws.template import Template

NO_VALUE = object()  # what `!Ref AWS::NoValue` evaluates to: the key disappears
_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


# Intrinsic function -> the IntrinsicResolver method that evaluates it.
_METHODS = {
    "Ref": "_ref",
    "Condition": "condition",
    "Fn::GetAtt": "_get_att",
    "Fn::Sub": "_sub",
    "Fn::If": "_if",
    "Fn::Equals": "_equals",
    "Fn::Not": "_not",
    "Fn::And": "_and",
    "Fn::Or": "_or",
    "Fn::Join": "_join",
    "Fn::Select": "_select",
    "Fn::Split": "_split",
}


class UnresolvableError(LookupError):
    """The template refers to something the local stack does not know."""


class IntrinsicResolver:
    """Resolves intrinsic functions against one set of known values.

    `refs` maps names to what `!Ref name` returns (parameters, pseudo
    parameters, resources); `attributes` maps (logical id, attribute) to
    what `!GetAtt` returns.
    """

    def __init__(
        self,
        template: Template,
        refs: Mapping[str, Any],
        attributes: Mapping[tuple[str, str], Any],
    ) -> None:
        self._conditions: dict[str, Any] = template.get("Conditions", {})
        self._refs = refs
        self._attributes = attributes

    def resolve(self, value: Any) -> Any:
        """`value` with every intrinsic evaluated (`AWS::NoValue` keys removed)."""
        if isinstance(value, list):
            items = [self.resolve(item) for item in value]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            method = _METHODS.get(key)
            if method is not None:
                return getattr(self, method)(argument)
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}

    def condition(self, name: str) -> bool:
        """The value of a named condition from the Conditions section."""
        if name not in self._conditions:
            raise UnresolvableError(f"unknown condition {name!r}")
        return bool(self.resolve(self._conditions[name]))

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name not in self._refs:
            raise UnresolvableError(f"!Ref {name}: not a parameter or a local resource")
        return self._refs[name]

    def _get_att(self, argument: list[Any] | str) -> Any:
        logical_id, attribute = (
            argument.split(".", 1) if isinstance(argument, str) else self.resolve(argument)
        )
        try:
            return self._attributes[(logical_id, attribute)]
        except KeyError:
            raise UnresolvableError(f"!GetAtt {logical_id}.{attribute}: unknown locally") from None

    def _sub(self, argument: str | list[Any]) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        local = {name: self.resolve(item) for name, item in variables.items()}

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in local:
                return str(local[name])
            if "." in name:
                return str(self._get_att(name))
            return str(self._ref(name))

        # `${!Literal}` stays as `${Literal}`, as in CloudFormation.
        return _SUB_VARIABLE.sub(substitute, text).replace("${!", "${")

    def _if(self, argument: list[Any]) -> Any:
        name, when_true, when_false = argument
        return self.resolve(when_true if self.condition(name) else when_false)

    def _equals(self, argument: list[Any]) -> bool:
        left, right = (self.resolve(item) for item in argument)
        return bool(left == right)

    def _not(self, argument: list[Any]) -> bool:
        return not self.resolve(argument[0])

    def _and(self, argument: list[Any]) -> bool:
        return all(self.resolve(item) for item in argument)

    def _or(self, argument: list[Any]) -> bool:
        return any(self.resolve(item) for item in argument)

    def _join(self, argument: list[Any]) -> str:
        delimiter, items = argument
        return str(delimiter).join(str(item) for item in self.resolve(items))

    def _select(self, argument: list[Any]) -> Any:
        index, items = self.resolve(argument)
        return items[int(index)]

    def _split(self, argument: list[Any]) -> list[str]:
        delimiter, text = self.resolve(argument)
        return str(text).split(delimiter)
