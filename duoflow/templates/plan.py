"""A template → what the local runtime deploys from it (a ``Plan``), without touching the runtime.

What the runtime deploys: Python functions (``AWS::Serverless::Function``, ``AWS::Lambda::Function``; a CDK asset's
code from the template's folder; the template's own layers), state machines, DynamoDB tables, S3 buckets, SNS
topics, SQS queues, the API routes of functions' ``HttpApi``/``Api`` events (and a CDK HTTP API's routes), and
EventBridge rules on a bucket's "Object Created" events. Names, ARNs and every intrinsic come from template.py, so
a function's environment is plain text. What it leaves out is listed: ``Plan.unsupported`` (would do something in
AWS that does not happen here) and ``Plan.not_needed`` (no local effect: IAM, log groups, policies, permissions).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from duoflow.runtime.function_environment import LAMBDA_RESERVED, RUNTIME_SET
from duoflow.templates.errors import TemplateError
from duoflow.templates.intrinsics import _text
from duoflow.templates.template import (
    FUNCTION_TYPES,
    STATE_MACHINE_TYPES,
    TABLE_TYPES,
    Template,
    _api_id,
    _function_name_of,
    _function_reference_of,
)

# Deployed by the runtime as part of another resource (a function's alias and versions, an HTTP API's routes).
PART_OF_ANOTHER = {
    "AWS::Lambda::Alias": "the function's alias: invoking it invokes the function",
    "AWS::Lambda::Version": "the function's version: invoking it invokes the function",
    "AWS::Serverless::LayerVersion": "on the import path of the functions that use it",
    "AWS::Lambda::LayerVersion": "on the import path of the functions that use it",
    "AWS::ApiGatewayV2::Route": "served as a route of the API",
    "AWS::ApiGatewayV2::Integration": "served as a route of the API",
    "AWS::ApiGatewayV2::Stage": "the API is served at one URL",
}
# No effect on the runtime: it checks no permissions and keeps no CloudWatch logs.
NOT_NEEDED = {
    "AWS::IAM::Role": "permissions are not checked locally",
    "AWS::IAM::Policy": "permissions are not checked locally",
    "AWS::IAM::ManagedPolicy": "permissions are not checked locally",
    "AWS::Lambda::Permission": "permissions are not checked locally",
    "AWS::S3::BucketPolicy": "permissions are not checked locally",
    "AWS::SNS::TopicPolicy": "permissions are not checked locally",
    "AWS::SQS::QueuePolicy": "permissions are not checked locally",
    "AWS::Logs::LogGroup": "function logs go to the terminal",
    "AWS::CDK::Metadata": "CDK's own bookkeeping",
}
DEFAULT_ROLE = "arn:aws:iam::{account}:role/duoflow-up-{stack}"


@dataclass(frozen=True)
class FunctionPlan:
    logical_id: str
    name: str
    handler: str
    runtime: str
    code_dir: Path
    environment: dict[str, str]
    timeout_seconds: int
    memory_mb: int
    durable_execution_timeout_seconds: int | None = None
    durable_retention_days: int = 14
    alias: str | None = None
    layers: tuple[Path, ...] = ()  # the folders of the template's layers it uses (ContentUri), in order

    @property
    def requirements(self) -> Path | None:
        """The function's requirements.txt (in its code folder, as `sam build` reads it), when it names something."""
        return requirements_in(self.code_dir)


def requirements_in(folder: Path) -> Path | None:
    """A folder's requirements.txt, when it names something."""
    path = folder / "requirements.txt"
    if path.is_file() and any(
        line.strip() and not line.strip().startswith("#") for line in path.read_text().splitlines()
    ):
        return path
    return None


def layer_import_paths(folder: Path) -> list[Path]:
    """Where a layer's modules are imported from, as Lambda puts a layer in /opt: its ``python/`` folder when it has
    one (a layer built or zipped for Lambda), else the folder itself (a SAM layer whose BuildMethod copies it there)."""
    return [folder / "python"] if (folder / "python").is_dir() else [folder]


@dataclass(frozen=True)
class StateMachinePlan:
    logical_id: str
    name: str
    definition: str
    type: str
    role_arn: str


@dataclass(frozen=True)
class TablePlan:
    logical_id: str
    name: str
    arguments: dict[str, Any]  # create_table's
    ttl_attribute: str | None = None


@dataclass(frozen=True)
class BucketPlan:
    logical_id: str
    name: str
    versioned: bool = False
    event_bridge: bool = False


@dataclass(frozen=True)
class TopicPlan:
    logical_id: str
    name: str
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class QueuePlan:
    logical_id: str
    name: str
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Cors:
    """An API's CORS configuration (HTTP API ``CorsConfiguration``, REST API ``Cors``), as API Gateway answers it."""

    allow_origins: tuple[str, ...] = ("*",)
    allow_methods: tuple[str, ...] = ("*",)
    allow_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    allow_credentials: bool = False
    max_age: int | None = None

    @classmethod
    def from_template(cls, value: Any, where: str) -> Cors | None:
        """SAM HttpApi / ApiGatewayV2 ``CorsConfiguration`` (a mapping, or true), or SAM Api ``Cors`` (an origin
        string in single quotes, or a mapping of quoted values)."""
        if value in (None, False, "false"):
            return None
        if value in (True, "true"):
            return cls()
        if isinstance(value, str):
            return cls(allow_origins=(value.strip("'"),))
        if not isinstance(value, dict):
            raise TemplateError(where, "expected a mapping of CORS settings")

        def listed(*keys: str) -> tuple[str, ...] | None:
            for key in keys:
                if key in value:
                    item = value[key]
                    items = item if isinstance(item, list) else str(item).strip("'").split(",")
                    return tuple(str(part).strip().strip("'") for part in items if str(part).strip())
            return None

        max_age = value.get("MaxAge")
        return cls(
            allow_origins=listed("AllowOrigins", "AllowOrigin") or ("*",),
            allow_methods=listed("AllowMethods") or ("*",),
            allow_headers=listed("AllowHeaders") or (),
            expose_headers=listed("ExposeHeaders") or (),
            allow_credentials=value.get("AllowCredentials") in (True, "true"),
            max_age=int(str(max_age).strip("'")) if max_age is not None else None,
        )


@dataclass(frozen=True)
class Route:
    method: str  # GET, POST, ... or ANY
    path: str  # /status/{applicationId}, /{proxy+}; "$default": every request no other route takes
    function: str  # the function's name (or name:alias)
    payload_version: str  # "2.0" (HTTP API) or "1.0" (REST API)
    source: str  # where the template declares it
    # The API's CORS configuration, as API Gateway applies it: None when the API has none.
    cors: Cors | None = None

    @property
    def route_key(self) -> str:
        return "$default" if self.path == "$default" else f"{self.method} {self.path}"


@dataclass(frozen=True)
class UploadRule:
    """An EventBridge rule on S3's "Object Created" events of one bucket (and key prefix) that invokes a function:
    the runtime delivers them (duoflow/runtime/s3_events.py) when the bucket sends its events to EventBridge."""

    logical_id: str
    bucket: str
    prefix: str
    function: str


@dataclass(frozen=True)
class Left:
    """A resource or event the runtime does not deploy, and why."""

    where: str
    type: str
    reason: str


@dataclass
class Plan:
    stack_name: str
    region: str
    account_id: str
    functions: list[FunctionPlan] = field(default_factory=list)
    state_machines: list[StateMachinePlan] = field(default_factory=list)
    tables: list[TablePlan] = field(default_factory=list)
    buckets: list[BucketPlan] = field(default_factory=list)
    topics: list[TopicPlan] = field(default_factory=list)
    queues: list[QueuePlan] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    upload_rules: list[UploadRule] = field(default_factory=list)
    unsupported: list[Left] = field(default_factory=list)
    not_needed: list[Left] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)


# --- the plan --------------------------------------------------------------------------------------------------


def plan_template(template: Template) -> Plan:
    """Everything the runtime deploys from ``template``, and what it leaves out."""
    plan = Plan(template.stack_name, template.region, template.account_id)
    http_integrations: dict[str, tuple[str, str]] = {}
    for logical_id, resource in template.resources.items():
        kind = resource["Type"]
        if not template.included(logical_id):
            plan.not_needed.append(Left(logical_id, kind, f"condition {resource['Condition']} is false"))
            continue
        if kind in FUNCTION_TYPES:
            _plan_function(template, logical_id, plan)
        elif kind in STATE_MACHINE_TYPES:
            _plan_state_machine(template, logical_id, plan)
        elif kind in TABLE_TYPES:
            plan.tables.append(_table(template, logical_id))
        elif kind == "AWS::S3::Bucket":
            _plan_bucket(template, logical_id, plan)
        elif kind == "AWS::SNS::Topic":
            _plan_topic(template, logical_id, plan)
        elif kind == "AWS::SQS::Queue":
            plan.queues.append(_queue(template, logical_id))
        elif kind in ("AWS::Serverless::HttpApi", "AWS::Serverless::Api"):
            if template.properties(logical_id).get("Auth"):
                plan.notes.append(f"{logical_id}: Auth is not enforced locally; every request reaches its function")
        elif kind == "AWS::ApiGatewayV2::Api":
            if template.prop(logical_id, "ProtocolType", "HTTP") != "HTTP":
                plan.unsupported.append(Left(logical_id, kind, "only HTTP APIs are served (not WebSocket)"))
        elif kind == "AWS::ApiGatewayV2::Integration":
            uri = _text(template.prop(logical_id, "IntegrationUri", ""), template.where(logical_id, "IntegrationUri"))
            version = str(template.prop(logical_id, "PayloadFormatVersion", "2.0"))
            http_integrations[logical_id] = (_function_reference_of(uri), version)
        elif kind == "AWS::Events::Rule":
            _plan_rule(template, logical_id, plan)
        elif kind in PART_OF_ANOTHER:
            pass
        elif kind in NOT_NEEDED:
            plan.not_needed.append(Left(logical_id, kind, NOT_NEEDED[kind]))
        else:
            plan.unsupported.append(Left(logical_id, kind, "the local runtime does not deploy this resource type"))
    _plan_http_api_routes(template, http_integrations, plan)
    for route in plan.routes:
        if _function_name_of(route.function) not in {function.name for function in plan.functions}:
            plan.unsupported.append(Left(route.source, "route", f"its function {route.function} is not deployed"))
    plan.routes = [route for route in plan.routes if _function_name_of(route.function) in _names(plan)]
    for rule in list(plan.upload_rules):
        if _function_name_of(rule.function) not in _names(plan):
            plan.upload_rules.remove(rule)
            plan.unsupported.append(
                Left(rule.logical_id, "AWS::Events::Rule", f"its target {rule.function} is not deployed")
            )
    for name, output in (template.document.get("Outputs") or {}).items():
        try:
            plan.outputs[name] = _text(template.resolver.resolve(output.get("Value"), f"Outputs.{name}.Value"), "")
        except TemplateError:
            pass  # an output naming something not deployed locally is simply not shown
    return plan


def _names(plan: Plan) -> set[str]:
    return {function.name for function in plan.functions}


def _code_dir(template: Template, logical_id: str) -> Path | None:
    """Where the function's code is: SAM's CodeUri folder, or a CDK asset's folder in cdk.out."""
    kind = template.type_of(logical_id)
    if kind == "AWS::Serverless::Function":
        code_uri = template.prop(logical_id, "CodeUri")
        if code_uri is None:
            if template.properties(logical_id).get("InlineCode") is not None:
                return None
            raise TemplateError(template.where(logical_id, "CodeUri"), "missing: the folder holding the handler")
        if not isinstance(code_uri, str):
            return None  # code in S3 (Bucket/Key): not on this machine
        folder = (template.directory / code_uri).resolve()
        if not folder.is_dir():
            raise TemplateError(template.where(logical_id, "CodeUri"), f"no folder {folder}")
        return folder
    metadata = template.resources[logical_id].get("Metadata") or {}
    asset_path = metadata.get("aws:asset:path")
    if isinstance(asset_path, str) and (template.directory / asset_path).is_dir():
        return (template.directory / asset_path).resolve()
    code = template.prop(logical_id, "Code") or {}
    key = code.get("S3Key") if isinstance(code, dict) else None
    if isinstance(key, str):
        folder = template.directory / f"asset.{key.removesuffix('.zip')}"
        if folder.is_dir():
            return folder.resolve()
        raise TemplateError(
            template.where(logical_id, "Code.S3Key"),
            f"{key}: no CDK asset folder {folder.name} beside the template (synthesize it with `cdk synth`)",
        )
    return None


def _plan_function(template: Template, logical_id: str, plan: Plan) -> None:
    kind = template.type_of(logical_id)
    if template.prop(logical_id, "PackageType") == "Image" or template.prop(logical_id, "ImageUri"):
        plan.unsupported.append(Left(logical_id, kind, "container image functions do not run locally"))
        return
    runtime = str(template.prop(logical_id, "Runtime", ""))
    if not runtime.startswith("python"):
        plan.unsupported.append(
            Left(logical_id, kind, f"Runtime {runtime or '(none)'}: only Python handlers run locally")
        )
        return
    code_dir = _code_dir(template, logical_id)
    if code_dir is None:
        plan.unsupported.append(Left(logical_id, kind, "code in S3 or inline: give a CodeUri folder"))
        return
    handler = template.prop(logical_id, "Handler")
    if not isinstance(handler, str) or "." not in handler:
        raise TemplateError(template.where(logical_id, "Handler"), "expected module.function (app.lambda_handler)")
    environment = (template.prop(logical_id, "Environment") or {}).get("Variables") or {}
    if not isinstance(environment, dict):
        raise TemplateError(template.where(logical_id, "Environment.Variables"), "must be a mapping")
    variables = {
        key: _text(value, template.where(logical_id, f"Environment.Variables.{key}"))
        for key, value in environment.items()
    }
    reserved = sorted(key for key in variables if key in LAMBDA_RESERVED or key in RUNTIME_SET)
    if reserved:
        raise TemplateError(
            template.where(logical_id, f"Environment.Variables.{reserved[0]}"),
            "reserved by Lambda (AWS refuses it too) or set by the local runtime",
        )
    durable = template.prop(logical_id, "DurableConfig")
    execution_timeout, retention = None, 14
    if durable is not None:
        if not isinstance(durable, dict) or "ExecutionTimeout" not in durable:
            raise TemplateError(template.where(logical_id, "DurableConfig.ExecutionTimeout"), "missing (seconds)")
        execution_timeout = _integer(
            durable["ExecutionTimeout"], template.where(logical_id, "DurableConfig.ExecutionTimeout")
        )
        retention = _integer(
            durable.get("RetentionPeriodInDays", 14), template.where(logical_id, "DurableConfig.RetentionPeriodInDays")
        )
    alias = template.prop(logical_id, "AutoPublishAlias")
    layers = _layers(template, logical_id, plan)
    function = FunctionPlan(
        logical_id=logical_id,
        name=template.name(logical_id),
        handler=handler,
        runtime=runtime,
        code_dir=code_dir,
        environment=variables,
        timeout_seconds=_integer(template.prop(logical_id, "Timeout", 3), template.where(logical_id, "Timeout")),
        memory_mb=_integer(template.prop(logical_id, "MemorySize", 128), template.where(logical_id, "MemorySize")),
        durable_execution_timeout_seconds=execution_timeout,
        durable_retention_days=retention,
        alias=alias if isinstance(alias, str) else None,
        layers=layers,
    )
    plan.functions.append(function)
    if kind == "AWS::Serverless::Function":
        _plan_events(template, logical_id, function, plan)


def _layers(template: Template, logical_id: str, plan: Plan) -> tuple[Path, ...]:
    """The folders of the template's own layers a function uses; a layer from elsewhere (a public ARN) is noted:
    its modules are what this process has installed, if anything."""
    folders = []
    by_arn = {
        template.layer_arn(key): key
        for key, resource in template.resources.items()
        if resource.get("Type") in ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion")
    }
    for index, arn in enumerate(template.prop(logical_id, "Layers") or []):
        where = template.where(logical_id, f"Layers[{index}]")
        layer = by_arn.get(str(arn))
        if layer is None:
            plan.notes.append(f"{where}: {arn} is not on this machine; {logical_id} imports what duoflow's Python has")
            continue
        prop = "ContentUri" if template.type_of(layer) == "AWS::Serverless::LayerVersion" else "Content"
        content = template.prop(layer, prop)
        folder = template.directory / content if isinstance(content, str) else None
        if folder is None or not folder.is_dir():
            raise TemplateError(template.where(layer, prop), f"no folder {folder or content!r} for the layer's code")
        folders.append(folder.resolve())
    return tuple(folders)


def _integer(value: Any, where: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise TemplateError(where, f"expected a whole number, found {value!r}") from None


def _plan_events(template: Template, logical_id: str, function: FunctionPlan, plan: Plan) -> None:
    events = template.properties(logical_id).get("Events") or {}
    target = f"{function.name}:{function.alias}" if function.alias else function.name
    for event_name, event in events.items():
        where = f"Resources.{logical_id}.Properties.Events.{event_name}"
        kind = event.get("Type") if isinstance(event, dict) else None
        properties = template.resolver.resolve(event.get("Properties") or {}, f"{where}.Properties") if kind else {}
        if kind in ("HttpApi", "Api"):
            path = properties.get("Path")
            method = str(properties.get("Method", "ANY")).upper()
            if kind == "HttpApi" and path is None:
                path = "$default"
            if not isinstance(path, str):
                raise TemplateError(f"{where}.Properties.Path", "missing: the route's path (/items/{id})")
            method = "ANY" if method in ("X-AMAZON-APIGATEWAY-ANY-METHOD", "*") else method
            version = str(properties.get("PayloadFormatVersion", "2.0")) if kind == "HttpApi" else "1.0"
            api = _api_of(template, properties.get("ApiId" if kind == "HttpApi" else "RestApiId"))
            plan.routes.append(Route(method, path, target, version, where, _cors_of(template, api, kind)))
        else:
            plan.unsupported.append(
                Left(where, f"{kind} event", "event sources other than HttpApi and Api are not connected locally")
            )


def _api_of(template: Template, api_id: Any) -> str | None:
    """The logical id of the API an event names (its resolved ApiId / RestApiId); None: SAM's implicit one."""
    if api_id is None:
        return None
    return next((key for key in template.resources if _api_id(template.stack_name, key) == api_id), None)


def _cors_of(template: Template, api: str | None, event_kind: str) -> Cors | None:
    """The CORS configuration of an event's API: its own property (Globals merged in), or, for SAM's implicit API,
    the Globals section's."""
    prop = "CorsConfiguration" if event_kind == "HttpApi" else "Cors"
    if api is not None:
        return Cors.from_template(template.prop(api, prop), template.where(api, prop))
    where = f"Globals.{event_kind}.{prop}"
    raw = ((template.document.get("Globals") or {}).get(event_kind) or {}).get(prop)
    return Cors.from_template(template.resolver.resolve(raw, where), where)


def _plan_http_api_routes(template: Template, integrations: dict[str, tuple[str, str]], plan: Plan) -> None:
    for logical_id, resource in template.resources.items():
        if resource["Type"] != "AWS::ApiGatewayV2::Route" or not template.included(logical_id):
            continue
        route_key = str(template.prop(logical_id, "RouteKey", ""))
        target = str(template.prop(logical_id, "Target", ""))
        integration = next((key for key in integrations if target.endswith(_api_id(template.stack_name, key))), None)
        if integration is None:
            plan.unsupported.append(
                Left(logical_id, resource["Type"], f"target {target!r} is not a Lambda integration")
            )
            continue
        function, version = integrations[integration]
        if route_key == "$default":
            method, path = "ANY", "$default"
        else:
            method, _, path = route_key.partition(" ")
        name = _function_name_of(function)
        qualifier = function.split(":")[7] if function.startswith("arn:") and function.count(":") >= 7 else None
        api = template.properties(logical_id).get("ApiId")
        api = api.get("Ref") if isinstance(api, dict) else None
        cors = None
        if api in template.resources:
            cors = Cors.from_template(template.prop(api, "CorsConfiguration"), template.where(api, "CorsConfiguration"))
        target_name = f"{name}:{qualifier}" if qualifier else name
        plan.routes.append(Route(method.upper(), path, target_name, version, logical_id, cors))
        if template.prop(logical_id, "AuthorizationType", "NONE") != "NONE":
            plan.notes.append(f"{logical_id} ({route_key}): its authorizer is not enforced locally")


def _plan_state_machine(template: Template, logical_id: str, plan: Plan) -> None:
    kind = template.type_of(logical_id)
    properties = template.properties(logical_id)
    where = template.where(logical_id)
    if "Definition" in properties:
        definition = json.dumps(template.prop(logical_id, "Definition"))
    elif "DefinitionString" in properties:
        definition = _text(template.prop(logical_id, "DefinitionString"), f"{where}.DefinitionString")
    elif "DefinitionUri" in properties or "DefinitionS3Location" in properties:
        definition = _definition_file(template, logical_id)
    else:
        raise TemplateError(where, "no Definition, DefinitionString or DefinitionUri: the state machine's ASL")
    substitutions = template.prop(logical_id, "DefinitionSubstitutions") or {}
    for key, value in substitutions.items():
        definition = definition.replace("${" + key + "}", _text(value, f"{where}.DefinitionSubstitutions.{key}"))
    try:
        json.loads(definition)
    except json.JSONDecodeError as error:
        raise TemplateError(f"{where}.Definition", f"not valid JSON after substitutions: {error.msg}") from None
    role = template.prop(logical_id, "Role") or template.prop(logical_id, "RoleArn")
    role_arn = role if isinstance(role, str) and role.startswith("arn:") else None
    state_machine_type = template.prop(logical_id, "Type" if kind.startswith("AWS::Serverless") else "StateMachineType")
    plan.state_machines.append(
        StateMachinePlan(
            logical_id,
            template.name(logical_id),
            definition,
            str(state_machine_type or "STANDARD"),
            role_arn or DEFAULT_ROLE.format(account=template.account_id, stack=template.stack_name),
        )
    )
    for event_name, event in (properties.get("Events") or {}).items():
        event_type = event.get("Type") if isinstance(event, dict) else None
        plan.unsupported.append(
            Left(
                f"Resources.{logical_id}.Properties.Events.{event_name}",
                f"{event_type} event",
                "state machine events are not connected locally; start executions through the AWS endpoint",
            )
        )


def _definition_file(template: Template, logical_id: str) -> str:
    where = template.where(logical_id)
    uri = template.prop(logical_id, "DefinitionUri")
    if isinstance(uri, str):
        path = template.directory / uri
        label = f"{where}.DefinitionUri"
    else:
        location = uri if isinstance(uri, dict) else template.prop(logical_id, "DefinitionS3Location") or {}
        key = str(location.get("Key", ""))
        path = template.directory / f"asset.{key}"
        label = f"{where}.{'DefinitionUri' if uri else 'DefinitionS3Location'}.Key"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        raise TemplateError(label, f"no file {path}") from None


def _table(template: Template, logical_id: str) -> TablePlan:
    name = template.name(logical_id)
    where = template.where(logical_id)
    if template.type_of(logical_id) == "AWS::Serverless::SimpleTable":
        key = template.prop(logical_id, "PrimaryKey") or {"Name": "id", "Type": "String"}
        types = {"String": "S", "Number": "N", "Binary": "B"}
        if key.get("Type", "String") not in types:
            raise TemplateError(f"{where}.PrimaryKey.Type", "one of String, Number, Binary")
        arguments = {
            "TableName": name,
            "KeySchema": [{"AttributeName": key["Name"], "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": key["Name"], "AttributeType": types[key.get("Type", "String")]}],
            "BillingMode": "PAY_PER_REQUEST",
        }
        return TablePlan(logical_id, name, arguments)
    for required in ("KeySchema", "AttributeDefinitions"):
        if template.prop(logical_id, required) is None:
            raise TemplateError(f"{where}.{required}", "missing")
    arguments = {"TableName": name, "BillingMode": template.prop(logical_id, "BillingMode", "PROVISIONED")}
    for key in ("KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        value = template.prop(logical_id, key)
        if value is not None:
            arguments[key] = value
    if arguments["BillingMode"] == "PROVISIONED":
        arguments["ProvisionedThroughput"] = template.prop(
            logical_id, "ProvisionedThroughput", {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
        )
        for index in arguments.get("GlobalSecondaryIndexes", []):
            index.setdefault("ProvisionedThroughput", {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
    stream = template.prop(logical_id, "StreamSpecification")
    if stream:
        arguments["StreamSpecification"] = {"StreamEnabled": True, **stream}
    ttl = template.prop(logical_id, "TimeToLiveSpecification") or {}
    enabled = ttl.get("Enabled") in (True, "true")
    return TablePlan(logical_id, name, arguments, ttl.get("AttributeName") if enabled else None)


def _plan_bucket(template: Template, logical_id: str, plan: Plan) -> None:
    versioning = template.prop(logical_id, "VersioningConfiguration") or {}
    notifications = template.prop(logical_id, "NotificationConfiguration") or {}
    for key in notifications:
        if key != "EventBridgeConfiguration":
            plan.unsupported.append(
                Left(
                    template.where(logical_id, f"NotificationConfiguration.{key}"),
                    "bucket notification",
                    "not delivered locally",
                )
            )
    plan.buckets.append(
        BucketPlan(
            logical_id,
            template.name(logical_id),
            versioned=versioning.get("Status") == "Enabled",
            event_bridge="EventBridgeConfiguration" in notifications,
        )
    )


def _plan_topic(template: Template, logical_id: str, plan: Plan) -> None:
    attributes = {}
    if template.prop(logical_id, "FifoTopic") in (True, "true"):
        attributes["FifoTopic"] = "true"
    for subscription in template.prop(logical_id, "Subscription") or []:
        plan.unsupported.append(
            Left(
                template.where(logical_id, "Subscription"),
                f"{subscription.get('Protocol')} subscription",
                "not delivered locally",
            )
        )
    plan.topics.append(TopicPlan(logical_id, template.name(logical_id), attributes))


def _queue(template: Template, logical_id: str) -> QueuePlan:
    attributes = {}
    for key in (
        "FifoQueue",
        "ContentBasedDeduplication",
        "VisibilityTimeout",
        "MessageRetentionPeriod",
        "DelaySeconds",
    ):
        value = template.prop(logical_id, key)
        if value is not None:
            attributes[key] = (
                _text(value, template.where(logical_id, key)).lower() if isinstance(value, bool) else str(value)
            )
    return QueuePlan(logical_id, template.name(logical_id), attributes)


def _plan_rule(template: Template, logical_id: str, plan: Plan) -> None:
    """The one EventBridge rule shape the runtime delivers: S3 "Object Created" of a bucket (and a key prefix) to
    Lambda targets. Any other rule is listed as not deployed."""
    kind = "AWS::Events::Rule"
    pattern = template.prop(logical_id, "EventPattern") or {}
    if isinstance(pattern, str):
        pattern = json.loads(pattern)
    detail = pattern.get("detail") or {}
    buckets = (detail.get("bucket") or {}).get("name") or []
    keys = (detail.get("object") or {}).get("key") or [{"prefix": ""}]
    shaped = (
        pattern.get("source") == ["aws.s3"]
        and pattern.get("detail-type") == ["Object Created"]
        and set(pattern) <= {"source", "detail-type", "detail"}
        and set(detail) <= {"bucket", "object"}
        and buckets
        and all(isinstance(key, dict) and set(key) == {"prefix"} for key in keys)
    )
    if template.prop(logical_id, "State", "ENABLED") != "ENABLED":
        plan.not_needed.append(Left(logical_id, kind, "the rule is disabled"))
        return
    if not shaped:
        plan.unsupported.append(
            Left(logical_id, kind, "only rules on S3 'Object Created' events (bucket name, key prefix) are delivered")
        )
        return
    for target in template.prop(logical_id, "Targets") or []:
        arn = str(target.get("Arn", ""))
        if ":lambda:" not in arn or ":function:" not in arn:
            plan.unsupported.append(
                Left(f"{logical_id}.Targets.{target.get('Id')}", "rule target", "only Lambda targets are invoked")
            )
            continue
        function = _function_name_of(arn)
        for bucket in buckets:
            for key in keys:
                plan.upload_rules.append(UploadRule(logical_id, str(bucket), str(key["prefix"]), function))
