"""What the local runtime holds, read through its boto3 clients as against AWS, so a test can show that a burst of
bad requests started nothing and wrote nothing: every execution of every state machine and durable function,
every DynamoDB item of every table, every S3 object version of every bucket, every plain Lambda invocation."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from catalog.functions import CATALOG
from duoflow.api_client import API_FUNCTION
from duoflow.runtime import LocalRuntime

DURABLE_FUNCTIONS = tuple(spec.name for spec in CATALOG if spec.durable)


@dataclass(frozen=True)
class RuntimeState:
    executions: dict[str, str]  # ARN → name, Step Functions and durable alike
    running: frozenset[str]  # names of executions still running
    items: dict[str, tuple[int, str]]  # table → (item count, digest of every item)
    objects: dict[str, frozenset[tuple[str, str]]]  # bucket → (key, version id), delete markers included
    invocations: int  # plain Lambda invocations of anything but the API itself

    @classmethod
    def read(cls, runtime: LocalRuntime) -> RuntimeState:
        executions, running = _executions(runtime)
        return cls(executions, running, _items(runtime), _objects(runtime), _other_invocations(runtime))

    def changes_since(self, before: RuntimeState) -> dict[str, Any]:
        """What happened between ``before`` and this: executions started, tables and buckets written, functions
        invoked. Empty when nothing did."""
        started = sorted(name for arn, name in self.executions.items() if arn not in before.executions)
        tables = {
            table: {"items before": before.items.get(table, (0, ""))[0], "items after": count}
            for table, (count, digest) in self.items.items()
            if before.items.get(table, (0, ""))[1] != digest
        }
        buckets = {
            bucket: sorted(key for key, _ in versions - before.objects.get(bucket, frozenset()))
            for bucket, versions in self.objects.items()
            if versions != before.objects.get(bucket, frozenset())
        }
        changes: dict[str, Any] = {}
        if started:
            changes["executions started"] = started
        if tables:
            changes["tables written"] = tables
        if buckets:
            changes["objects written"] = buckets
        if self.invocations != before.invocations:
            changes["functions invoked"] = self.invocations - before.invocations
        return changes


def _executions(runtime: LocalRuntime) -> tuple[dict[str, str], frozenset[str]]:
    sfn, lam = runtime.client("stepfunctions"), runtime.client("lambda")
    found: dict[str, str] = {}
    running: set[str] = set()
    machines = [attributes["arn"] for (kind, _), attributes in runtime.resources.items() if kind == "state_machine"]
    for machine in machines:
        for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=machine):
            for execution in page["executions"]:
                found[execution["executionArn"]] = execution["name"]
                if execution["status"] == "RUNNING":
                    running.add(execution["name"])
    for function in DURABLE_FUNCTIONS:
        marker = None
        while True:
            page = lam.list_durable_executions_by_function(
                FunctionName=function, MaxItems=1000, **({"Marker": marker} if marker else {})
            )
            for execution in page["DurableExecutions"]:
                found[execution["DurableExecutionArn"]] = execution["DurableExecutionName"]
                if execution["Status"] == "RUNNING":
                    running.add(execution["DurableExecutionName"])
            marker = page.get("NextMarker")
            if not marker:
                break
    return found, frozenset(running)


def _items(runtime: LocalRuntime) -> dict[str, tuple[int, str]]:
    dynamodb = runtime.client("dynamodb")
    tables = [name for page in dynamodb.get_paginator("list_tables").paginate() for name in page["TableNames"]]
    counted = {}
    for table in tables:
        items = [
            json.dumps(item, sort_keys=True, default=str)
            for page in dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True)
            for item in page["Items"]
        ]
        counted[table] = (len(items), hashlib.sha256("\n".join(sorted(items)).encode()).hexdigest())
    return counted


def _objects(runtime: LocalRuntime) -> dict[str, frozenset[tuple[str, str]]]:
    s3 = runtime.client("s3")
    listed = {}
    for bucket in (b["Name"] for b in s3.list_buckets()["Buckets"]):
        versions = set()
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            for version in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                versions.add((version["Key"], str(version.get("VersionId"))))
        listed[bucket] = frozenset(versions)
    return listed


def _other_invocations(runtime: LocalRuntime) -> int:
    return sum(1 for invocation in list(runtime.lambdas.invocations) if invocation.function_name != API_FUNCTION)
