"""What one workflow run cost, read from the orchestrators' own histories.

* state transitions: the Step Functions history's ``*StateEntered`` events — each state entered is one
  billed transition of a Standard workflow (https://aws.amazon.com/step-functions/pricing/).
* durable operations: the distinct operations in the durable execution's history (the execution itself,
  steps, waits, callbacks, child contexts). Issue #4 refines this into the billed count.
"""

from __future__ import annotations

from typing import Any


def state_transitions(sfn: Any, execution_arn: str) -> int:
    events, token = [], None
    while True:
        page = sfn.get_execution_history(
            executionArn=execution_arn, maxResults=1000, **({"nextToken": token} if token else {})
        )
        events += page["events"]
        token = page.get("nextToken")
        if not token:
            break
    return sum(1 for event in events if event["type"].endswith("StateEntered"))


def durable_history(
    lambda_client: Any, function_name: str, execution_name: str, include_data: bool = False
) -> list[dict[str, Any]]:
    executions = lambda_client.list_durable_executions_by_function(
        FunctionName=function_name, DurableExecutionName=execution_name
    )["DurableExecutions"]
    events: list[dict[str, Any]] = []
    for execution in executions:
        marker = None
        while True:
            page = lambda_client.get_durable_execution_history(
                DurableExecutionArn=execution["DurableExecutionArn"],
                IncludeExecutionData=include_data,
                **({"Marker": marker} if marker else {}),
            )
            events += page["Events"]
            marker = page.get("NextMarker")
            if not marker:
                break
    return events


def durable_operations(lambda_client: Any, function_name: str, execution_name: str) -> int:
    return len(
        {event["Id"] for event in durable_history(lambda_client, function_name, execution_name) if event.get("Id")}
    )
