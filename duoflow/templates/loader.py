"""Read a CloudFormation or SAM template into plain data: JSON, or YAML with CloudFormation's short-form tags.

``!Ref X`` becomes ``{"Ref": "X"}``, ``!GetAtt A.B`` becomes ``{"Fn::GetAtt": ["A", "B"]}``, every other
``!Name value`` becomes ``{"Fn::Name": value}`` (``!Condition`` stays ``{"Condition": ...}``), whatever the node's
kind (scalar, sequence or mapping), so the intrinsics see one shape whichever form the author wrote. Dates and
timestamps stay strings (CloudFormation reads ``2010-09-09`` as a string; PyYAML would make it a date).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from duoflow.templates.errors import TemplateError

# CloudFormation's short forms: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html
FUNCTION_TAGS = (
    "And",
    "Base64",
    "Cidr",
    "Equals",
    "FindInMap",
    "GetAZs",
    "ImportValue",
    "If",
    "Join",
    "Length",
    "Not",
    "Or",
    "Select",
    "Split",
    "Sub",
    "ToJsonString",
    "Transform",
)


class TemplateYamlLoader(yaml.SafeLoader):
    """PyYAML's safe loader with CloudFormation's tags, and no implicit dates or timestamps."""


# Timestamps stay strings: drop the implicit resolver PyYAML registers for them.
TemplateYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _node_value(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)


def _function(name: str):
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        return {name: _node_value(loader, node)}

    return construct


def _get_att(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
    value = _node_value(loader, node)
    if isinstance(value, str):
        resource, dot, attribute = value.partition(".")
        if not dot:
            raise yaml.MarkedYAMLError(None, None, f"!GetAtt {value}: expected Resource.Attribute", node.start_mark)
        value = [resource, attribute]
    return {"Fn::GetAtt": value}


for _tag in FUNCTION_TAGS:
    TemplateYamlLoader.add_constructor(f"!{_tag}", _function(f"Fn::{_tag}"))
TemplateYamlLoader.add_constructor("!Ref", _function("Ref"))
TemplateYamlLoader.add_constructor("!Condition", _function("Condition"))
TemplateYamlLoader.add_constructor("!GetAtt", _get_att)


def parse_template(text: str, source: str = "template") -> dict[str, Any]:
    """A template's text (JSON or YAML) → its data; a TemplateError naming the line when it cannot be read."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise TemplateError(
                source, f"not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
            ) from None
    else:
        try:
            document = yaml.load(text, Loader=TemplateYamlLoader)  # noqa: S506 - a SafeLoader subclass
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
            where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
            problem = getattr(error, "problem", None) or str(error)
            raise TemplateError(source, f"not valid YAML: {problem}{where}") from None
    if not isinstance(document, dict):
        raise TemplateError(source, "a template is a mapping with a Resources section")
    if not isinstance(document.get("Resources"), dict) or not document["Resources"]:
        raise TemplateError(f"{source}: Resources", "missing or empty: a template declares at least one resource")
    return document


def load_template(path: Path) -> dict[str, Any]:
    """Read the template file at ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise TemplateError(str(path), f"cannot be read: {error.strerror or error}") from None
    return parse_template(text, str(path))
