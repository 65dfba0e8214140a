"""duoflow on the local runtime: the same tables, topics, functions and state machines as the CDK app.

with local_stack(TimeControl.scaled(0.001)) as runtime:
    ...
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from catalog.functions import CATALOG
from catalog.resources import BUCKETS, STREAM_RULES, TABLES, TOPICS, UPLOAD_RULES, BucketSpec, TableSpec
from catalog.state_machines import STATE_MACHINES, TRAINING_STATE_MACHINES
from duoflow.runtime import FunctionSpec, LocalRuntime, TimeControl
from duoflow.runtime.sfn_mocks import MockConfig
from services.common import bootstrap
from services.common.log import logger as function_logger
from services.common.progress import PENDING_INDEX
from services.scorer import local_converse

LOCAL_ROLE_ARN = "arn:aws:iam::123456789012:role/duoflow-local-workflows"


def _create_table(runtime: LocalRuntime, spec: TableSpec) -> None:
    keys = [spec.partition_key, *([spec.sort_key] if spec.sort_key else []), *(spec.pending_index or ())]
    arguments = {
        "TableName": spec.name,
        "KeySchema": [
            {"AttributeName": spec.partition_key, "KeyType": "HASH"},
            *([{"AttributeName": spec.sort_key, "KeyType": "RANGE"}] if spec.sort_key else []),
        ],
        "AttributeDefinitions": [{"AttributeName": key, "AttributeType": "S"} for key in keys],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if spec.stream:
        arguments["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    if spec.pending_index:
        arguments["GlobalSecondaryIndexes"] = [
            {
                "IndexName": PENDING_INDEX,
                "KeySchema": [
                    {"AttributeName": spec.pending_index[0], "KeyType": "HASH"},
                    {"AttributeName": spec.pending_index[1], "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ]
    dynamodb = runtime.client("dynamodb")
    dynamodb.create_table(**arguments)
    if spec.expiry_attribute:
        dynamodb.update_time_to_live(
            TableName=spec.name, TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.expiry_attribute}
        )
    runtime.register_resource("table", spec.name, name=spec.name)


def _create_bucket(runtime: LocalRuntime, spec: BucketSpec) -> None:
    s3 = runtime.client("s3")
    s3.create_bucket(Bucket=spec.name)
    if spec.versioned:
        s3.put_bucket_versioning(Bucket=spec.name, VersioningConfiguration={"Status": "Enabled"})
    if spec.event_bridge:
        s3.put_bucket_notification_configuration(
            Bucket=spec.name, NotificationConfiguration={"EventBridgeConfiguration": {}}
        )
    runtime.register_resource("bucket", spec.name, name=spec.name, arn=f"arn:aws:s3:::{spec.name}")


def deploy(runtime: LocalRuntime) -> LocalRuntime:
    """Create every resource, load every function and create every state machine on a started runtime."""
    for table in TABLES:
        _create_table(runtime, table)
    for bucket in BUCKETS:
        _create_bucket(runtime, bucket)
    for rule in UPLOAD_RULES:
        runtime.s3_events.route(rule.bucket, rule.prefix, rule.function)
    for rule in STREAM_RULES:
        runtime.dynamodb_streams.route(rule.table, rule.function)
    sns = runtime.client("sns")
    for topic in TOPICS:
        runtime.register_resource("topic", topic, name=topic, arn=sns.create_topic(Name=topic)["TopicArn"])
    runtime.serve_converse(local_converse.converse)  # Bedrock Converse → the local screening model
    runtime.deploy_functions()
    bootstrap.reset()
    sfn = runtime.client("stepfunctions")
    for machine in [*STATE_MACHINES, *TRAINING_STATE_MACHINES]:
        arn = sfn.create_state_machine(
            name=machine.name, definition=machine.definition(runtime.resolve), roleArn=LOCAL_ROLE_ARN, type="STANDARD"
        )["stateMachineArn"]
        runtime.register_resource("state_machine", machine.name, name=machine.name, arn=arn)
    runtime.refresh_environment()
    runtime.resume()  # what the state directory holds from an earlier run: executions carry on
    runtime.settle()
    return runtime


@contextmanager
def local_stack(
    time_control: TimeControl | None = None,
    state_dir: Path | None = None,
    catalog: list[FunctionSpec] = CATALOG,
    function_logs: Path | None = None,
    on_function_line: Callable[[str], None] | None = None,
    mock_config: MockConfig | None = None,
) -> Iterator[LocalRuntime]:
    """The stack on a started runtime, stopped on exit. ``catalog`` swaps the functions (test doubles).
    ``function_logs``: the file the functions' log lines are appended to (JSON lines, as CloudWatch Logs gets them
    in AWS); without it they are dropped (the demo, the bench and the tests print their own). ``on_function_line``
    also gets each line as it is written (duoflow serve prints them). ``mock_config``: Step Functions Local's test
    cases (duoflow/runtime/sfn_mocks.py)."""
    runtime = LocalRuntime(catalog, state_dir=state_dir, time_control=time_control, mock_config=mock_config)
    try:
        with _function_logs_to(function_logs, on_function_line):
            runtime.start()  # inside: a signal that arrives while it starts still stops it (and a temporary dir goes)
            try:
                yield deploy(runtime)
            finally:
                runtime.stop()
    finally:
        bootstrap.reset()


@contextmanager
def _function_logs_to(path: Path | None, on_line: Callable[[str], None] | None) -> Iterator[None]:
    """Point the functions' logger (services/common/log.py; stdout in Lambda) at ``path`` (or nowhere), and hand each
    line to ``on_line`` too."""
    handler = function_logger.registered_handler
    with open(path if path is not None else os.devnull, "a", encoding="utf-8") as sink:
        previous = handler.setStream(sink if on_line is None else _Tee(sink, on_line))
        try:
            yield
        finally:
            handler.setStream(previous)


class _Tee:
    """A stream that writes to ``sink`` and hands every complete line to ``on_line`` (the logging handler writes
    one record at a time, under its lock)."""

    def __init__(self, sink: Any, on_line: Callable[[str], None]) -> None:
        self._sink, self._on_line, self._partial = sink, on_line, ""

    def write(self, text: str) -> int:
        self._sink.write(text)
        *lines, self._partial = (self._partial + text).split("\n")
        for line in lines:
            if line.strip():
                self._on_line(line)
        return len(text)

    def flush(self) -> None:
        self._sink.flush()
