"""CloudFormation's intrinsic functions, resolved against a template's parameters, conditions and resources.

``Resolver.resolve(value, where)`` walks a property value and replaces every function by its value: ``Ref``,
``Fn::GetAtt``, ``Fn::Sub`` (both forms), ``Fn::Join``, ``Fn::Select``, ``Fn::Split``, ``Fn::If`` (with the
conditions ``Fn::Equals``, ``Fn::And``, ``Fn::Or``, ``Fn::Not``, ``Condition``), ``Fn::FindInMap``, ``Fn::Base64``,
``Fn::GetAZs``, ``Fn::ToJsonString``, ``Fn::Length``; ``AWS::NoValue`` removes the key or item it stands for. What a
resource's ``Ref`` or attribute is comes from the caller (``refs``, ``attributes``): the names and ARNs the plan
gives each resource. ``where`` names the place in the template for a ``TemplateError``.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from duoflow.templates.errors import TemplateError

NO_VALUE = object()  # AWS::NoValue: the key or list item it stands for is left out

SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


@dataclass
class Resolver:
    """Resolves intrinsic functions. ``refs(logical_id)`` and ``attributes(logical_id, name)`` give a resource's
    values (each raises TemplateError naming the attribute it does not know); ``None``: no such resource."""

    parameters: Mapping[str, Any]
    pseudo: Mapping[str, Any]
    refs: Callable[[str], Any | None]
    attributes: Callable[[str, str], Any | None]
    mappings: Mapping[str, Any] = field(default_factory=dict)
    condition_definitions: Mapping[str, Any] = field(default_factory=dict)
    _conditions: dict[str, bool] = field(default_factory=dict)
    _evaluating: set[str] = field(default_factory=set)

    # --- values ------------------------------------------------------------------------------------------------

    def resolve(self, value: Any, where: str) -> Any:
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, argument),) = value.items()
                if key == "Ref" or key.startswith("Fn::"):
                    return self._function(key, argument, f"{where}.{key}")
            resolved = {}
            for key, item in value.items():
                item = self.resolve(item, f"{where}.{key}")
                if item is not NO_VALUE:
                    resolved[key] = item
            return resolved
        if isinstance(value, list):
            items = [self.resolve(item, f"{where}[{index}]") for index, item in enumerate(value)]
            return [item for item in items if item is not NO_VALUE]
        return value

    def _function(self, name: str, argument: Any, where: str) -> Any:
        handler = getattr(self, "_fn_" + name.removeprefix("Fn::").lower(), None)
        if handler is None:
            raise TemplateError(where, f"{name} is not supported by the local runtime")
        return handler(argument, where)

    def _fn_ref(self, argument: Any, where: str) -> Any:
        if not isinstance(argument, str):
            raise TemplateError(where, "Ref takes the logical name of a parameter or resource")
        return self.ref(argument, where)

    def ref(self, name: str, where: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        try:
            value = self.refs(name)
        except TemplateError as error:
            if error.where:
                raise
            raise TemplateError(where, error.problem) from None
        if value is None:
            raise TemplateError(where, f"Ref {name}: no parameter or resource of that name in the template")
        return value

    def _fn_getatt(self, argument: Any, where: str) -> Any:
        if isinstance(argument, str):
            argument = argument.split(".", 1)
        if not (isinstance(argument, list) and len(argument) == 2):
            raise TemplateError(where, "Fn::GetAtt takes [LogicalName, AttributeName]")
        resource, attribute = (self.resolve(part, where) for part in argument)
        return self.get_att(resource, attribute, where)

    def get_att(self, resource: str, attribute: str, where: str) -> Any:
        try:
            value = self.attributes(resource, attribute)
        except TemplateError as error:
            if error.where:
                raise
            raise TemplateError(where, error.problem) from None
        if value is None:
            raise TemplateError(where, f"Fn::GetAtt {resource}.{attribute}: no resource {resource} in the template")
        return value

    def _fn_sub(self, argument: Any, where: str) -> str:
        variables: Mapping[str, Any] = {}
        if isinstance(argument, list):
            if len(argument) != 2 or not isinstance(argument[1], dict):
                raise TemplateError(where, "Fn::Sub takes a string, or [string, {Name: value, ...}]")
            argument, variables = argument[0], self.resolve(argument[1], f"{where}[1]")
        if not isinstance(argument, str):
            raise TemplateError(where, "Fn::Sub's text must be a string")

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"  # ${!Literal} is written out as ${Literal}
            name = name.strip()
            if name in variables:
                value = variables[name]
            elif "." in name and name not in self.pseudo:
                resource, attribute = name.split(".", 1)
                value = self.get_att(resource, attribute, where)
            else:
                value = self.ref(name, where)
            return _text(value, where)

        return SUB_VARIABLE.sub(replace, argument)

    def _fn_join(self, argument: Any, where: str) -> str:
        if not (isinstance(argument, list) and len(argument) == 2):
            raise TemplateError(where, "Fn::Join takes [delimiter, [values...]]")
        delimiter, values = argument[0], self.resolve(argument[1], f"{where}[1]")
        if not isinstance(values, list):
            raise TemplateError(where, "Fn::Join's second item must be a list")
        return str(delimiter).join(_text(value, where) for value in values)

    def _fn_select(self, argument: Any, where: str) -> Any:
        if not (isinstance(argument, list) and len(argument) == 2):
            raise TemplateError(where, "Fn::Select takes [index, [values...]]")
        index, values = (self.resolve(part, where) for part in argument)
        try:
            return values[int(index)]
        except (ValueError, TypeError, IndexError):
            raise TemplateError(where, f"Fn::Select: no item {index!r} in {values!r}") from None

    def _fn_split(self, argument: Any, where: str) -> list[str]:
        if not (isinstance(argument, list) and len(argument) == 2):
            raise TemplateError(where, "Fn::Split takes [delimiter, string]")
        delimiter, text = argument[0], self.resolve(argument[1], f"{where}[1]")
        return _text(text, where).split(delimiter)

    def _fn_if(self, argument: Any, where: str) -> Any:
        if not (isinstance(argument, list) and len(argument) == 3 and isinstance(argument[0], str)):
            raise TemplateError(where, "Fn::If takes [ConditionName, value if true, value if false]")
        chosen = argument[1] if self.condition(argument[0], where) else argument[2]
        return self.resolve(chosen, where)

    def _fn_findinmap(self, argument: Any, where: str) -> Any:
        if not (isinstance(argument, list) and len(argument) in (3, 4)):
            raise TemplateError(where, "Fn::FindInMap takes [MapName, TopLevelKey, SecondLevelKey]")
        names = [self.resolve(part, where) for part in argument[:3]]
        try:
            return self.resolve(self.mappings[names[0]][names[1]][names[2]], where)
        except (KeyError, TypeError):
            if len(argument) == 4 and isinstance(argument[3], dict) and "DefaultValue" in argument[3]:
                return self.resolve(argument[3]["DefaultValue"], where)
            raise TemplateError(where, f"Fn::FindInMap: Mappings has no {'.'.join(map(str, names))}") from None

    def _fn_base64(self, argument: Any, where: str) -> str:
        return base64.b64encode(_text(self.resolve(argument, where), where).encode()).decode()

    def _fn_getazs(self, argument: Any, where: str) -> list[str]:
        region = self.resolve(argument, where) or self.pseudo["AWS::Region"]
        return [f"{region}{zone}" for zone in "abc"]

    def _fn_tojsonstring(self, argument: Any, where: str) -> str:
        return json.dumps(self.resolve(argument, where), separators=(",", ":"))

    def _fn_length(self, argument: Any, where: str) -> int:
        value = self.resolve(argument, where)
        if not isinstance(value, list):
            raise TemplateError(where, "Fn::Length takes a list")
        return len(value)

    # --- conditions ----------------------------------------------------------------------------------------------

    def condition(self, name: str, where: str) -> bool:
        if name in self._conditions:
            return self._conditions[name]
        if name not in self.condition_definitions:
            raise TemplateError(where, f"no condition {name!r} in the template's Conditions")
        if name in self._evaluating:
            raise TemplateError(f"Conditions.{name}", "refers to itself")
        self._evaluating.add(name)
        try:
            value = self._truth(self.condition_definitions[name], f"Conditions.{name}")
        finally:
            self._evaluating.discard(name)
        self._conditions[name] = value
        return value

    def _truth(self, value: Any, where: str) -> bool:
        if isinstance(value, dict) and len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Condition":
                return self.condition(argument, where)
            if key == "Fn::Equals":
                if not (isinstance(argument, list) and len(argument) == 2):
                    raise TemplateError(where, "Fn::Equals takes [value, value]")
                left, right = (self.resolve(part, where) for part in argument)
                return _text(left, where) == _text(right, where)
            if key in ("Fn::And", "Fn::Or", "Fn::Not"):
                if not isinstance(argument, list):
                    raise TemplateError(where, f"{key} takes a list of conditions")
                values = [self._truth(part, f"{where}.{key}") for part in argument]
                if key == "Fn::And":
                    return all(values)
                if key == "Fn::Or":
                    return any(values)
                return not values[0]
        resolved = self.resolve(value, where)
        if isinstance(resolved, bool):
            return resolved
        if str(resolved).lower() in ("true", "false"):
            return str(resolved).lower() == "true"
        raise TemplateError(where, f"not a condition: {value!r}")


def _text(value: Any, where: str) -> str:
    """A value as CloudFormation writes it into a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    if isinstance(value, list):
        return ",".join(_text(item, where) for item in value)
    raise TemplateError(where, f"expected a string here, found {type(value).__name__}")
