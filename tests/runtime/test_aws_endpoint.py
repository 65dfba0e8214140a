"""The runtime's AWS endpoint (duoflow/runtime/aws_endpoint.py): other processes reach the same runtime over HTTP —
boto3 with AWS_ENDPOINT_URL, and the real AWS CLI (awscli, a dev dependency) — and a Step Functions execution, a
task token, a durable callback and the histories work there as they do in-process. The endpoint stopping with the
runtime is in test_lifecycle.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from duoflow.runtime import LocalRuntime
from tests.runtime.conftest import (
    callback_id_of,
    create_state_machine,
    event_types,
    sfn_history,
    unique,
    wait_durable_done,
    wait_sfn_done,
)
from tests.waiting import wait_until

SUBPROCESS_SECONDS = 60


@pytest.fixture(scope="module")
def endpoint(runtime: LocalRuntime) -> str:
    return runtime.serve_aws()


@pytest.fixture(scope="module")
def table(runtime: LocalRuntime) -> str:
    name = unique("answers")
    runtime.client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


@pytest.fixture(scope="module")
def machine(runtime: LocalRuntime, sfn: Any, table: str) -> str:
    """Double the value (a catalog Lambda), wait for a task token someone else answers, record the answer."""
    return create_state_machine(
        sfn,
        {
            "StartAt": "Double",
            "States": {
                "Double": {"Type": "Task", "Resource": runtime.function_arn("double"), "Next": "Ask"},
                "Ask": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                    "Parameters": {
                        "FunctionName": "double",
                        "Payload": {"value.$": "$.value", "token.$": "$$.Task.Token"},
                    },
                    "ResultPath": "$.answer",
                    "Next": "Record",
                },
                "Record": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::dynamodb:putItem",
                    "Parameters": {
                        "TableName": table,
                        "Item": {"id": {"S.$": "$$.Execution.Name"}, "decision": {"S.$": "$.answer.decision"}},
                    },
                    "ResultPath": None,
                    "End": True,
                },
            },
        },
    )


def aws_environment(endpoint: str, tmp_path: Path) -> dict[str, str]:
    """What a user sets: the endpoint, dummy credentials, the region; no profile or config of this machine's."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    return {
        **environment,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "anything",
        "AWS_SECRET_ACCESS_KEY": "anything",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
    }


def task_token(events: list[dict]) -> str | None:
    for event in events:
        if event["type"] == "TaskScheduled":
            parameters = json.loads(event["taskScheduledEventDetails"]["parameters"])
            if "token" in parameters.get("Payload", {}):
                return parameters["Payload"]["token"]
    return None


BOTO3_CLIENT = """
import json, sys, time
import boto3

machine, name = sys.argv[1], sys.argv[2]
sfn = boto3.client("stepfunctions")
arn = sfn.start_execution(stateMachineArn=machine, name=name, input=json.dumps({"value": 21}))["executionArn"]

def poll(found, what):
    deadline = time.monotonic() + 30
    while not (value := found()):
        if time.monotonic() > deadline:
            sys.exit(f"no {what} within 30 s")
        time.sleep(0.02)
    return value

def token():
    for event in sfn.get_execution_history(executionArn=arn)["events"]:
        if event["type"] == "TaskSubmitted" or event["type"] == "TaskScheduled":
            payload = json.loads(event.get("taskScheduledEventDetails", {}).get("parameters", "{}")).get("Payload", {})
            if "token" in payload:
                return payload["token"]

sfn.send_task_success(taskToken=poll(token, "task token"), output=json.dumps({"decision": "approved"}))
done = poll(lambda: (d := sfn.describe_execution(executionArn=arn))["status"] != "RUNNING" and d, "end")
history = sfn.get_execution_history(executionArn=arn)["events"]
print(json.dumps({"status": done["status"], "output": done["output"], "types": [e["type"] for e in history]}))
"""


def test_boto3_in_another_process_runs_an_execution_and_answers_its_task_token(
    runtime, sfn, endpoint, machine, table, tmp_path
):
    name = unique("boto3")
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(BOTO3_CLIENT), machine, name],
        env=aws_environment(endpoint, tmp_path),
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_SECONDS,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["status"] == "SUCCEEDED", seen
    assert json.loads(seen["output"]) == {"value": 42, "answer": {"decision": "approved"}}
    # The other process saw the same history as this one: the runtime it reached is this one.
    execution_arn = f"{machine.replace(':stateMachine:', ':execution:')}:{name}"
    assert seen["types"] == event_types(sfn_history(sfn, execution_arn))
    assert seen["types"][-1] == "ExecutionSucceeded" and "TaskSubmitted" in seen["types"]
    item = runtime.client("dynamodb").get_item(TableName=table, Key={"id": {"S": name}})["Item"]
    assert item["decision"] == {"S": "approved"}


def test_the_aws_cli_starts_and_answers_an_execution_and_a_durable_callback_and_reads_them(
    runtime, sfn, lam, endpoint, machine, table, tmp_path
):
    environment = aws_environment(endpoint, tmp_path)

    def aws(*args: str) -> Any:
        result = subprocess.run(
            [sys.executable, "-m", "awscli", *args, "--output", "json"],
            env=environment,
            capture_output=True,
            text=True,
            timeout=SUBPROCESS_SECONDS,
        )
        assert result.returncode == 0, f"aws {' '.join(args)}: {result.stderr}"
        return json.loads(result.stdout) if result.stdout.strip() else None

    # Step Functions: start, answer the task token found in the history, read the history.
    name = unique("cli")
    started = aws(
        "stepfunctions", "start-execution", "--state-machine-arn", machine, "--name", name, "--input", '{"value": 5}'
    )
    execution_arn = started["executionArn"]
    wait_until(lambda: task_token(sfn_history(sfn, execution_arn)), what="the task token")
    token = task_token(aws("stepfunctions", "get-execution-history", "--execution-arn", execution_arn)["events"])
    assert token
    aws("stepfunctions", "send-task-success", "--task-token", token, "--task-output", '{"decision": "approved"}')
    assert wait_sfn_done(sfn, execution_arn)["status"] == "SUCCEEDED"
    history = aws("stepfunctions", "get-execution-history", "--execution-arn", execution_arn)["events"]
    assert event_types(history)[-1] == "ExecutionSucceeded"
    assert json.loads(history[-1]["executionSucceededEventDetails"]["output"]) == {
        "value": 10,
        "answer": {"decision": "approved"},
    }

    # DynamoDB: what the execution recorded.
    items = aws("dynamodb", "scan", "--table-name", table)["Items"]
    assert {"id": {"S": name}, "decision": {"S": "approved"}} in items

    # Lambda's durable APIs: start a durable execution, answer its callback, read it back.
    invoked = aws(
        "lambda",
        "invoke",
        "--function-name",
        "await-callback",
        "--invocation-type",
        "Event",
        "--durable-execution-name",
        unique("cli-durable"),
        "--payload",
        json.dumps({"timeout_minutes": 6000}),  # 100 modelled hours: no race with the CLI's start-up
        str(tmp_path / "invoke-out.json"),
    )
    assert invoked["StatusCode"] == 202
    durable_arn = invoked["DurableExecutionArn"]
    callback_id_of(lam, durable_arn, "nobody create callback id")  # waits until the callback has started
    events = aws("lambda", "get-durable-execution-history", "--durable-execution-arn", durable_arn)["Events"]
    (callback_id,) = [e["CallbackStartedDetails"]["CallbackId"] for e in events if e["EventType"] == "CallbackStarted"]
    aws("lambda", "send-durable-execution-callback-success", "--callback-id", callback_id, "--result", '{"ok": true}')
    assert wait_durable_done(lam, durable_arn)["Status"] == "SUCCEEDED"
    described = aws("lambda", "get-durable-execution", "--durable-execution-arn", durable_arn)
    assert described["Status"] == "SUCCEEDED"
    assert json.loads(described["Result"]) == {"answer": {"ok": True}}


def test_a_request_that_names_no_service_is_refused_with_the_reason(endpoint):
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(urllib.request.Request(endpoint + "/", data=b"{}", method="POST"), timeout=10)
    assert refused.value.code == 400
    assert "sign the request with SigV4" in refused.value.read().decode()


def test_answers_are_sent_without_waiting_for_the_clients_acknowledgement(runtime, endpoint):
    """An answer is two writes (headers, body): with Nagle's algorithm on the socket, the body waited up to 40 ms
    for a keep-alive client's delayed acknowledgement of the headers (45 ms a call, under 2 ms of it CPU). The
    endpoint's connections have TCP_NODELAY, and so do the `duoflow up` API's."""
    import http.client
    import socket
    from urllib.parse import urlsplit

    from duoflow.templates.api import ApiServer

    address = urlsplit(endpoint)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    try:
        for _ in range(2):  # two answers on one kept-alive connection
            connection.request("POST", "/", body=b"{}")
            answer = connection.getresponse()
            assert answer.status == 400 and answer.read()  # not signed: refused, and the connection is kept
        served = list(runtime.aws_endpoint._connections)
        assert served, "the connection is still open on the endpoint's side"
        assert all(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) for sock in served)
    finally:
        connection.close()

    listening = socket.create_server(("127.0.0.1", 0))
    try:
        assert ApiServer(listening, [], lambda *args: None)._server.RequestHandlerClass.disable_nagle_algorithm
    finally:
        listening.close()
