"""One template, read: its parameters resolved (defaults, overrides), SAM's Globals merged into its resources, and
every resource's local name and ARN known from the template alone (a name property, else ``STACK-LogicalId``), so
every ``Ref`` and ``Fn::GetAtt`` resolves (intrinsics.py) before anything is created. SAM's generated resources
(``FnAliasLive``, ``FnRole``, ``ServerlessHttpApi``) and ``!Ref Fn.Alias`` / ``Fn.Version`` resolve too.
"""

from __future__ import annotations

import copy
import hashlib
import re
from pathlib import Path
from typing import Any

from duoflow.templates.errors import TemplateError
from duoflow.templates.intrinsics import NO_VALUE, Resolver, _text

FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")
STATE_MACHINE_TYPES = ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine")
TABLE_TYPES = ("AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable")
API_TYPES = ("AWS::Serverless::HttpApi", "AWS::Serverless::Api", "AWS::ApiGatewayV2::Api")


def parse_overrides(items: list[str] | None) -> dict[str, str]:
    """``--parameter-overrides`` as `sam deploy` takes them: ``Key=Value`` (several per item, space-separated) or
    ``ParameterKey=Key,ParameterValue=Value``."""
    found: dict[str, str] = {}
    for item in items or []:
        for part in item.split():
            if part.startswith("ParameterKey="):
                match = re.fullmatch(r"ParameterKey=([^,]+),ParameterValue=(.*)", part)
                if not match:
                    raise TemplateError("--parameter-overrides", f"{part!r}: expected ParameterKey=K,ParameterValue=V")
                found[match.group(1)] = match.group(2)
                continue
            key, equals, value = part.partition("=")
            if not equals or not key:
                raise TemplateError("--parameter-overrides", f"{part!r}: expected Key=Value")
            found[key] = value
    return found


class Template:
    """One template, its parameters resolved, every resource's local name and ARN known."""

    def __init__(
        self,
        document: dict[str, Any],
        directory: Path,
        stack_name: str,
        overrides: dict[str, str] | None = None,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        api_url: str = "http://127.0.0.1:3000",
    ) -> None:
        self.document = document
        self.directory = directory
        self.stack_name = stack_name
        self.region = region
        self.account_id = account_id
        self.api_url = api_url
        self.resources: dict[str, dict[str, Any]] = _with_globals(document)
        self.parameters = _parameters(document.get("Parameters") or {}, overrides or {})
        pseudo = {
            "AWS::Region": region,
            "AWS::AccountId": account_id,
            "AWS::StackName": stack_name,
            "AWS::StackId": f"arn:aws:cloudformation:{region}:{account_id}:stack/{stack_name}/local",
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NotificationARNs": [],
        }
        self.resolver = Resolver(
            self.parameters,
            pseudo,
            self._ref,
            self._attribute,
            mappings=document.get("Mappings") or {},
            condition_definitions=document.get("Conditions") or {},
        )
        self._names: dict[str, str] = {}
        self._naming: set[str] = set()

    # --- reading properties -----------------------------------------------------------------------------------

    def properties(self, logical_id: str) -> dict[str, Any]:
        properties = self.resources[logical_id].get("Properties") or {}
        if not isinstance(properties, dict):
            raise TemplateError(f"Resources.{logical_id}.Properties", "must be a mapping")
        return properties

    def prop(self, logical_id: str, name: str, default: Any = None) -> Any:
        """One property of a resource, its intrinsic functions resolved."""
        raw = self.properties(logical_id).get(name)
        if raw is None:
            return default
        value = self.resolver.resolve(raw, f"Resources.{logical_id}.Properties.{name}")
        return default if value is NO_VALUE else value

    def where(self, logical_id: str, name: str = "") -> str:
        return f"Resources.{logical_id}.Properties" + (f".{name}" if name else "")

    def type_of(self, logical_id: str) -> str:
        return self.resources[logical_id].get("Type", "")

    def included(self, logical_id: str) -> bool:
        condition = self.resources[logical_id].get("Condition")
        return condition is None or self.resolver.condition(condition, f"Resources.{logical_id}.Condition")

    # --- names and ARNs -------------------------------------------------------------------------------------

    def name(self, logical_id: str) -> str:
        """The resource's local name: its name property, else ``STACK-LogicalId`` (AWS adds a random suffix)."""
        if logical_id in self._names:
            return self._names[logical_id]
        if logical_id in self._naming:
            raise TemplateError(self.where(logical_id), "its name refers to itself")
        self._naming.add(logical_id)
        try:
            kind = self.type_of(logical_id)
            prop = NAME_PROPERTIES.get(kind)
            given = self.prop(logical_id, prop) if prop else None
            if given is not None:
                name = _text(given, self.where(logical_id, prop))
            else:
                name = f"{self.stack_name}-{logical_id}"
                if kind == "AWS::S3::Bucket":
                    name = re.sub(r"[^a-z0-9.-]", "-", name.lower())[:63]
                if kind == "AWS::SQS::Queue" and self.prop(logical_id, "FifoQueue") in (True, "true"):
                    name += ".fifo"
            self._names[logical_id] = name
            return name
        finally:
            self._naming.discard(logical_id)

    def layer_arn(self, logical_id: str) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:layer:{self.name(logical_id)}:1"

    def function_arn(self, name: str) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{name}"

    def _implicit(self, name: str) -> tuple[str, str] | None:
        """SAM's generated resources: ``FnAliasLive``, ``FnRole``, ``SmRole``, ``ServerlessHttpApi``,
        ``ServerlessRestApi`` → (kind, the resource it belongs to)."""
        if name in ("ServerlessHttpApi", "ServerlessRestApi"):
            return ("api", name)
        for logical_id, resource in self.resources.items():
            kind = resource.get("Type")
            if kind not in ("AWS::Serverless::Function", "AWS::Serverless::StateMachine"):
                continue
            if name == f"{logical_id}Role":
                return ("role", logical_id)
            alias = self.properties(logical_id).get("AutoPublishAlias")
            if isinstance(alias, str) and name == f"{logical_id}Alias{alias}":
                return ("alias", logical_id)
        return None

    def _ref(self, name: str) -> Any | None:
        if "." in name:  # !Ref Function.Alias / Function.Version (SAM)
            logical_id, _, part = name.partition(".")
            if logical_id in self.resources and part in ("Alias", "Version"):
                return self._function_part(logical_id, part)
        if name not in self.resources:
            implicit = self._implicit(name)
            if implicit is None:
                return None
            kind, owner = implicit
            if kind == "alias":
                return self._function_part(owner, "Alias")
            if kind == "role":
                return f"{self.stack_name}-{name}"
            return _api_id(self.stack_name, name)
        kind = self.type_of(name)
        if kind in ("AWS::SNS::Topic", *STATE_MACHINE_TYPES):
            return self._attribute(name, "Arn")
        if kind == "AWS::SQS::Queue":
            return self._attribute(name, "QueueUrl")
        if kind in API_TYPES or kind == "AWS::ApiGatewayV2::Integration":
            return _api_id(self.stack_name, name)
        if kind == "AWS::Lambda::Alias":
            function = _function_name_of(_text(self.prop(name, "FunctionName"), self.where(name, "FunctionName")))
            return f"{self.function_arn(function)}:{_text(self.prop(name, 'Name'), self.where(name, 'Name'))}"
        if kind == "AWS::Lambda::Version":
            function = _function_name_of(_text(self.prop(name, "FunctionName"), self.where(name, "FunctionName")))
            return f"{self.function_arn(function)}:1"
        if kind in ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"):
            return self.layer_arn(name)
        return self.name(name)

    def _function_part(self, logical_id: str, part: str) -> str:
        alias = self.properties(logical_id).get("AutoPublishAlias")
        arn = self.function_arn(self.name(logical_id))
        if part == "Version" or not alias:
            return f"{arn}:1"
        return f"{arn}:{alias}"

    def _attribute(self, logical_id: str, attribute: str) -> Any | None:
        region, account = self.region, self.account_id
        if logical_id not in self.resources:
            implicit = self._implicit(logical_id)
            if implicit is None:
                return None
            kind, _owner = implicit
            if kind == "role" and attribute == "Arn":
                return f"arn:aws:iam::{account}:role/{self.stack_name}-{logical_id}"
            if kind == "api" and attribute == "ApiEndpoint":
                return self.api_url
            raise TemplateError("", f"Fn::GetAtt {logical_id}.{attribute}: the local runtime does not know it")
        kind = self.type_of(logical_id)
        name = self.name(logical_id) if attribute not in ("ApiEndpoint",) else ""
        known: dict[str, Any] = {}
        if kind in FUNCTION_TYPES:
            known = {"Arn": self.function_arn(name)}
        elif kind in STATE_MACHINE_TYPES:
            arn = f"arn:aws:states:{region}:{account}:stateMachine:{name}"
            known = {"Arn": arn, "Name": name, "StateMachineRevisionId": arn}
        elif kind in TABLE_TYPES:
            arn = f"arn:aws:dynamodb:{region}:{account}:table/{name}"
            known = {"Arn": arn, "StreamArn": f"{arn}/stream/1970-01-01T00:00:00.000"}
        elif kind == "AWS::S3::Bucket":
            known = {
                "Arn": f"arn:aws:s3:::{name}",
                "DomainName": f"{name}.s3.amazonaws.com",
                "RegionalDomainName": f"{name}.s3.{region}.amazonaws.com",
                "WebsiteURL": f"http://{name}.s3-website-{region}.amazonaws.com",
            }
        elif kind == "AWS::SNS::Topic":
            arn = f"arn:aws:sns:{region}:{account}:{name}"
            known = {"TopicArn": arn, "TopicName": name, "Arn": arn}
        elif kind == "AWS::SQS::Queue":
            known = {
                "Arn": f"arn:aws:sqs:{region}:{account}:{name}",
                "QueueName": name,
                "QueueUrl": f"https://sqs.{region}.amazonaws.com/{account}/{name}",
            }
        elif kind in API_TYPES:
            known = {"ApiEndpoint": self.api_url, "ApiId": _api_id(self.stack_name, logical_id)}
        elif kind == "AWS::Lambda::Version":
            known = {"Version": "1"}
        elif kind == "AWS::IAM::Role":
            known = {"Arn": f"arn:aws:iam::{account}:role/{name}", "RoleId": f"AROA{logical_id.upper()[:16]}"}
        elif attribute == "Arn":
            service = kind.split("::")[1].lower() if kind.count("::") == 2 else "unknown"
            known = {"Arn": f"arn:aws:{service}:{region}:{account}:{name}"}
        if attribute not in known:
            raise TemplateError(
                "", f"Fn::GetAtt {logical_id}.{attribute}: the local runtime does not know {kind}'s {attribute}"
            )
        return known[attribute]


NAME_PROPERTIES = {
    "AWS::Serverless::Function": "FunctionName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::Serverless::StateMachine": "Name",
    "AWS::StepFunctions::StateMachine": "StateMachineName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::Serverless::SimpleTable": "TableName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::IAM::Role": "RoleName",
    "AWS::Serverless::LayerVersion": "LayerName",
    "AWS::Lambda::LayerVersion": "LayerName",
}


def _api_id(stack_name: str, logical_id: str) -> str:
    return hashlib.sha256(f"{stack_name}/{logical_id}".encode()).hexdigest()[:10]


def _function_name_of(reference: str) -> str:
    """A function name, name:qualifier or ARN (with or without a qualifier) → the name (as the Lambda host does)."""
    if reference.startswith("arn:"):
        return reference.split(":")[6]
    return reference.split(":")[0]


def _function_reference_of(reference: str) -> str:
    """An integration's target (a function or alias ARN, or API Gateway's ``.../functions/ARN/invocations``)."""
    match = re.search(r"functions/(arn:[^/]+)/invocations", reference)
    return match.group(1) if match else reference


def _parameters(declared: dict[str, Any], overrides: dict[str, str]) -> dict[str, Any]:
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise TemplateError(
            "--parameter-overrides",
            f"the template declares no parameter {', '.join(unknown)} (it declares: {', '.join(declared) or 'none'})",
        )
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        spec = spec or {}
        if name in overrides:
            value: Any = overrides[name]
        elif "Default" in spec:
            value = spec["Default"]
        elif str(spec.get("Type", "")).startswith("AWS::SSM::Parameter"):
            value = str(spec.get("Default", ""))  # a CDK bootstrap version: no SSM lookups locally
        else:
            raise TemplateError(f"Parameters.{name}", "has no Default: give it with --parameter-overrides {name}=VALUE")
        kind = str(spec.get("Type", "String"))
        if kind in ("CommaDelimitedList", "List<Number>") or kind.startswith("List<"):
            value = value if isinstance(value, list) else [part.strip() for part in str(value).split(",")]
        else:
            value = _text(value, f"Parameters.{name}")
            allowed = spec.get("AllowedValues")
            if allowed and value not in [str(item) for item in allowed]:
                raise TemplateError(f"Parameters.{name}", f"{value!r} is not one of AllowedValues {allowed}")
        values[name] = value
    return values


def _merge(base: Any, over: Any) -> Any:
    """SAM's Globals: maps merge (the resource's keys win), lists add up, anything else is the resource's."""
    if isinstance(base, dict) and isinstance(over, dict):
        merged = dict(base)
        for key, value in over.items():
            merged[key] = _merge(base[key], value) if key in base else value
        return merged
    if isinstance(base, list) and isinstance(over, list):
        return [*base, *over]
    return over


def _with_globals(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    resources = copy.deepcopy(document["Resources"])
    globals_ = document.get("Globals") or {}
    by_type = {"Function": "AWS::Serverless::Function", "SimpleTable": "AWS::Serverless::SimpleTable"}
    by_type |= {"Api": "AWS::Serverless::Api", "HttpApi": "AWS::Serverless::HttpApi"}
    by_type |= {"StateMachine": "AWS::Serverless::StateMachine"}
    for section, values in globals_.items():
        if section not in by_type:
            raise TemplateError(f"Globals.{section}", f"not a SAM Globals section ({', '.join(by_type)})")
        for resource in resources.values():
            if isinstance(resource, dict) and resource.get("Type") == by_type[section]:
                resource["Properties"] = _merge(values or {}, resource.get("Properties") or {})
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict) or not isinstance(resource.get("Type"), str):
            raise TemplateError(f"Resources.{logical_id}", "a resource is a mapping with a Type")
    return resources
