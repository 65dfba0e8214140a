"""ResourceRefs and Access → the deployed resources' names and ARNs (CDK tokens), in one place.

Functions are always named by their ``live`` alias, never $LATEST. In environment variables and IAM policies
functions and state machines are named by ARNs built from their fixed names (infra/naming.py), which adds no
dependency; state machine definitions name functions by a reference to the alias itself, so CloudFormation
creates every function before a state machine that calls it.
"""

from __future__ import annotations

from collections.abc import Callable

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns

from catalog.specs import ResourceRef
from infra.config import Settings
from infra.naming import Arns
from infra.permissions import Access


class UndeclaredResource(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


class References:
    def __init__(
        self,
        settings: Settings,
        arns: Arns,
        tables: dict[str, dynamodb.Table],
        topics: dict[str, sns.Topic],
        buckets: dict[str, s3.Bucket],
        function_names: list[str],
        state_machine_names: list[str],
    ) -> None:
        self.settings, self.arns = settings, arns
        self.tables, self.topics, self.buckets = tables, topics, buckets
        self.function_names, self.state_machine_names = function_names, state_machine_names

    def value(self, ref: ResourceRef, function_arn: Callable[[str], str] | None = None, where: str = "") -> str:
        """The name or ARN ``ref`` asks for. ``function_arn``: how to name a function's alias (default: its ARN
        built from the name)."""
        name, wants_arn = ref.logical_name, ref.attribute == "arn"
        if ref.kind == "table":
            table = self._find(self.tables, ref, where)
            return table.table_arn if wants_arn else table.table_name
        if ref.kind == "topic":
            topic = self._find(self.topics, ref, where)
            return topic.topic_arn if wants_arn else topic.topic_name
        if ref.kind == "bucket":
            bucket = self._find(self.buckets, ref, where)
            return bucket.bucket_arn if wants_arn else bucket.bucket_name
        if ref.kind == "state_machine":
            self._check(self.state_machine_names, ref, where, "catalog/state_machines.py")
            return self.arns.state_machine(name) if wants_arn else self.settings.physical_name(name)
        if ref.kind == "function":
            # Lambda's FunctionName takes an ARN as well as a name: the alias's ARN either way.
            self._check(self.function_names, ref, where, "catalog/functions.py")
            return (function_arn or self.arns.alias)(name)
        raise UndeclaredResource(f"{where}: no resource kind {ref.kind!r} ({name}) exists in the CDK app")

    def iam_resources(self, access: Access) -> list[str]:
        """The ARNs an Access statement names: exactly the one declared resource (objects of one bucket)."""
        kind, name = access.kind, access.name
        if kind == "table":
            return [self.value(ResourceRef("table", name, "arn"))]
        if kind == "table_index":
            return [f"{self.value(ResourceRef('table', name, 'arn'))}/index/{access.detail}"]
        if kind == "topic":
            return [self.value(ResourceRef("topic", name, "arn"))]
        if kind == "bucket_objects":
            return [self._find(self.buckets, ResourceRef("bucket", name), "").arn_for_objects(f"{access.detail}*")]
        if kind == "state_machine":
            return [self.value(ResourceRef("state_machine", name, "arn"))]
        if kind == "function_alias":
            return [self.value(ResourceRef("function", name, "arn"))]
        if kind == "durable_executions":
            self._check(self.function_names, ResourceRef("function", name), "", "catalog/functions.py")
            return [self.arns.durable_executions(name)]
        if kind == "bedrock_model":
            return self.arns.bedrock_models(self.settings.bedrock_model_id)
        raise UndeclaredResource(f"no IAM resource for access kind {kind!r}")

    def _find(self, found: dict, ref: ResourceRef, where: str):
        if ref.logical_name not in found:
            raise UndeclaredResource(
                f"{where or 'a reference'} names the {ref.kind} {ref.logical_name!r}, which catalog/resources.py "
                f"does not declare (declared: {', '.join(sorted(found)) or 'none'})"
            )
        return found[ref.logical_name]

    def _check(self, names: list[str], ref: ResourceRef, where: str, source: str) -> None:
        if ref.logical_name not in names:
            raise UndeclaredResource(
                f"{where or 'a reference'} names the {ref.kind} {ref.logical_name!r}, which {source} does not declare"
            )
