"""A ``Plan`` onto the local runtime: the function catalog it starts with, then the resources and state machines,
created with plain boto3 calls as CloudFormation would create them in AWS.

    catalog = function_catalog(plan, requirements_cache)      # installs requirements.txt files (cached)
    with LocalRuntime(catalog, state_dir=...) as runtime:
        deploy(runtime, plan)                                  # then resume() and settle(), as duoflow up does
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from botocore.exceptions import ClientError, ParamValidationError

from catalog.specs import FunctionSpec
from duoflow.runtime import LocalRuntime
from duoflow.templates.errors import TemplateError
from duoflow.templates.plan import Plan, layer_import_paths, requirements_in
from duoflow.templates.requirements import installed_requirements


def function_catalog(
    plan: Plan, requirements_cache: Path, note: Callable[[str], None] | None = None
) -> list[FunctionSpec]:
    """One FunctionSpec per planned function; its code folders are its code and its installed requirements."""
    catalog = []
    for function in plan.functions:
        code_paths = [str(function.code_dir)]
        if function.requirements is not None:
            where = f"Resources.{function.logical_id}.Properties.CodeUri"
            code_paths.append(str(installed_requirements(function.requirements, requirements_cache, where, note)))
        for index, layer in enumerate(function.layers):  # after the function's own code, as /opt after /var/task
            code_paths += [str(path) for path in layer_import_paths(layer)]
            if (requirements := requirements_in(layer)) is not None:
                where = f"Resources.{function.logical_id}.Properties.Layers[{index}]"
                code_paths.append(str(installed_requirements(requirements, requirements_cache, where, note)))
        durable = function.durable_execution_timeout_seconds is not None
        catalog.append(
            FunctionSpec(
                name=function.name,
                handler=function.handler,
                description=f"{function.logical_id} ({function.runtime})",
                durable=durable,
                memory_mb=function.memory_mb,
                timeout_seconds=function.timeout_seconds,
                durable_execution_timeout_seconds=function.durable_execution_timeout_seconds,
                durable_retention_days=function.durable_retention_days,
                environment=dict(function.environment),
                # One event at a time per function, as one Lambda execution environment handles them: code written
                # for Lambda may keep per-event state at module level.
                thread_safe=False,
                code_paths=tuple(code_paths),
            )
        )
    return catalog


def deploy(runtime: LocalRuntime, plan: Plan) -> None:
    """Create the plan's tables, buckets, topics and queues, load its functions, create its state machines. A call
    the runtime refuses is a TemplateError naming the resource."""
    dynamodb, s3, sns, sqs = (runtime.client(service) for service in ("dynamodb", "s3", "sns", "sqs"))
    for table in plan.tables:
        with _refused(table.logical_id):
            dynamodb.create_table(**table.arguments)
            if table.ttl_attribute:
                dynamodb.update_time_to_live(
                    TableName=table.name,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
                )
        runtime.register_resource("table", table.logical_id, name=table.name)
    for bucket in plan.buckets:
        with _refused(bucket.logical_id):
            s3.create_bucket(Bucket=bucket.name)
            if bucket.versioned:
                s3.put_bucket_versioning(Bucket=bucket.name, VersioningConfiguration={"Status": "Enabled"})
            if bucket.event_bridge:
                s3.put_bucket_notification_configuration(
                    Bucket=bucket.name, NotificationConfiguration={"EventBridgeConfiguration": {}}
                )
        runtime.register_resource("bucket", bucket.logical_id, name=bucket.name)
    for topic in plan.topics:
        with _refused(topic.logical_id):
            arn = sns.create_topic(Name=topic.name, Attributes=topic.attributes)["TopicArn"]
        runtime.register_resource("topic", topic.logical_id, name=topic.name, arn=arn)
    for queue in plan.queues:
        with _refused(queue.logical_id):
            url = sqs.create_queue(QueueName=queue.name, Attributes=queue.attributes)["QueueUrl"]
        runtime.register_resource("queue", queue.logical_id, name=queue.name, url=url)
    for rule in plan.upload_rules:
        runtime.s3_events.route(rule.bucket, rule.prefix, rule.function)
    runtime.deploy_functions()
    sfn = runtime.client("stepfunctions")
    for machine in plan.state_machines:
        with _refused(machine.logical_id, "Definition"):
            arn = sfn.create_state_machine(
                name=machine.name, definition=machine.definition, roleArn=machine.role_arn, type=machine.type
            )["stateMachineArn"]
        runtime.register_resource("state_machine", machine.logical_id, name=machine.name, arn=arn)


class _refused:
    """A ClientError while creating a resource → a TemplateError naming it (and the property, when known)."""

    def __init__(self, logical_id: str, prop: str = "") -> None:
        self.where = f"Resources.{logical_id}" + (f".Properties.{prop}" if prop else "")

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, error: BaseException | None, traceback: object) -> None:
        if isinstance(error, ClientError):
            details = error.response.get("Error", {})
            raise TemplateError(self.where, f"{details.get('Code')}: {details.get('Message')}") from None
        if isinstance(error, ParamValidationError):  # refused by botocore before the call: a property's shape
            raise TemplateError(self.where, " ".join(str(error).split())) from None
