"""Workflow functions: every Lambda of catalog/functions.py, each with its own role, log group and ``live`` alias.

Python 3.13 on the configured architecture (arm64 by default: Graviton costs 20 % less per GB-second than x86 and
runs this pure-Python code as fast). Durable functions get their DurableConfig from the catalog. Every function
publishes a version on each change and moves the ``live`` alias to it; everything that calls a function calls
the alias, so a durable execution that waits for days replays the code that started it.

Each role holds only what infra/permissions.py derives for the function: its log group, the resources its
environment names, the uploads that invoke it, its own durable executions' checkpoints, the waits it answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from catalog.specs import FunctionSpec
from infra.config import Settings
from infra.nag import acknowledge, acknowledge_info
from infra.naming import ALIAS
from infra.permissions import MODEL_ID_SETTING, Access, calls_bedrock, function_access, reference
from infra.references import References

RUNTIME = lambda_.Runtime.PYTHON_3_13
LOG_RETENTION = logs.RetentionDays.ONE_MONTH
ARCHITECTURES = {"arm64": lambda_.Architecture.ARM_64, "x86_64": lambda_.Architecture.X86_64}


class WorkflowFunctions(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        references: References,
        catalog: Sequence[FunctionSpec],
        code: lambda_.Code,
        table_indexes: Mapping[str, str],
        uploads: Mapping[str, list[tuple[str, str]]],
    ) -> None:
        """``uploads``: function name -> the (bucket, key prefix) pairs whose uploads invoke it."""
        super().__init__(scope, construct_id)
        self.functions: dict[str, lambda_.Function] = {}
        self.aliases: dict[str, lambda_.Alias] = {}
        self.roles: dict[str, iam.Role] = {}
        names = [spec.name for spec in catalog]
        for spec in catalog:
            physical = settings.physical_name(spec.name)
            if len(physical) > 64:
                raise ValueError(f"function name {physical!r} is longer than Lambda's 64 characters")
            log_group = logs.LogGroup(
                self,
                f"{spec.name}-logs",
                log_group_name=f"/aws/lambda/{physical}",
                retention=LOG_RETENTION,
                removal_policy=RemovalPolicy.DESTROY,
            )
            role = iam.Role(
                self,
                f"{spec.name}-role",
                assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                description=f"duoflow {spec.name}: only what its catalog entry names",
            )
            log_group.grant_write(role)
            granted = function_access(
                spec, names, references.state_machine_names, table_indexes, uploads.get(spec.name, [])
            )
            for access in granted:
                role.add_to_policy(
                    iam.PolicyStatement(actions=list(access.actions), resources=references.iam_resources(access))
                )
            function = lambda_.Function(
                self,
                spec.name,
                function_name=physical,
                description=spec.description[:256],
                runtime=RUNTIME,
                architecture=ARCHITECTURES[settings.architecture],
                handler=spec.handler,
                code=code,
                memory_size=spec.memory_mb,
                timeout=Duration.seconds(spec.timeout_seconds),
                environment=_environment(spec, names, references, settings),
                role=role,
                log_group=log_group,
                logging_format=lambda_.LoggingFormat.JSON,
                tracing=lambda_.Tracing.ACTIVE,
                durable_config=_durable_config(spec),
            )
            _acknowledge_wildcards(role, granted, references, settings)
            acknowledge(
                function,
                "L1",
                f"{spec.name} runs on python3.13, the newest runtime the Lambda dependencies are pinned and bundled "
                "for (infra/bundling.py PYTHON_VERSION); move both together when the project moves to 3.14.",
            )
            if spec.durable:
                acknowledge_info(
                    function,
                    "aws-lambda:Function.DurableConfig",
                    f"{spec.name} is durable in its first deployment; making an existing function durable would "
                    "replace it, which the catalog never does in place.",
                )
            alias = lambda_.Alias(self, f"{spec.name}-{ALIAS}", alias_name=ALIAS, version=function.current_version)
            self.functions[spec.name], self.aliases[spec.name], self.roles[spec.name] = function, alias, role


def _environment(spec: FunctionSpec, names: list[str], references: References, settings: Settings) -> dict[str, str]:
    environment = {}
    for key, value in spec.environment.items():
        ref = reference(value, names)
        where = f"catalog/functions.py: {spec.name} {key}"
        environment[key] = str(value) if ref is None else references.value(ref, where=where)
    if calls_bedrock(spec):
        environment[MODEL_ID_SETTING] = settings.bedrock_model_id  # the context's model, in AWS
    return environment


def _durable_config(spec: FunctionSpec) -> lambda_.DurableConfig | None:
    if not spec.durable:
        return None
    return lambda_.DurableConfig(
        execution_timeout=Duration.seconds(spec.durable_execution_timeout_seconds),
        retention_period=Duration.days(spec.durable_retention_days),
    )


def _acknowledge_wildcards(role: iam.Role, granted: list[Access], references: References, settings: Settings) -> None:
    """Each IAM5 finding of a function role, named: the only wildcards are where AWS allows nothing narrower."""
    acknowledge(
        role,
        "IAM5",
        "X-Ray's PutTraceSegments and PutTelemetryRecords have no resource-level permissions; CDK adds them for "
        "active tracing.",
        finding="Resource::*",
    )
    for access in granted:
        if access.kind == "durable_executions":
            acknowledge(
                role,
                "IAM5",
                f"Durable executions of {access.name}: Lambda authorizes checkpoints and callbacks against the "
                "execution's ARN, <function ARN>:<version>/durable-execution/<name>/<id>, known only at run time; "
                "the grant names the one function, any of its versions.",
                finding=(
                    "Resource::arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:function:"
                    f"{settings.physical_name(access.name)}:*"
                ),
            )
        elif access.kind == "bucket_objects":
            bucket = references.buckets[access.name]
            logical_id = Stack.of(bucket).get_logical_id(bucket.node.default_child)
            acknowledge(
                role,
                "IAM5",
                f"Objects of the one bucket {access.name}"
                + (f" under {access.detail}" if access.detail else "")
                + ": each request has its own object key, chosen at run time.",
                finding=f"Resource::<{logical_id}.Arn>/{access.detail}*",
            )
        elif access.kind == "bedrock_model":
            for arn in references.iam_resources(access):
                if "*" in arn:
                    acknowledge(
                        role,
                        "IAM5",
                        f"The inference profile {settings.bedrock_model_id} routes each request to the same model in "
                        "whichever region has capacity; the grant names that one model in every region.",
                        finding="Resource::" + arn.replace(Stack.of(role).partition, "<AWS::Partition>"),
                    )
