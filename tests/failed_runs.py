"""Failed executions, as an on-call engineer finds them: a workflow started without an application (as a caller that
skipped the API would), whose first function raises. The Step Functions run ends in its Fail state with the Lambda's
JSON error (a stack trace in it) as the cause; the durable run ends FAILED with the error as an object."""

from __future__ import annotations

import json
import uuid

from duoflow.runtime import LocalRuntime, ResourceRef
from tests.waiting import wait_until


def failed_sfn_execution(runtime: LocalRuntime, state_machine: str = "loan-sfn") -> str:
    """The ARN of a failed run of ``state_machine``."""
    sfn = runtime.client("stepfunctions")
    name = f"broken-{uuid.uuid4().hex[:6]}"
    arn = sfn.start_execution(
        stateMachineArn=runtime.resolve(ResourceRef("state_machine", state_machine, "arn")),
        name=name,
        input=json.dumps({"application_id": name}),
    )["executionArn"]
    wait_until(lambda: sfn.describe_execution(executionArn=arn)["status"] == "FAILED", what=name)
    return arn


def failed_durable_execution(runtime: LocalRuntime, function: str = "loan-workflow") -> str:
    """The ARN of a failed run of the durable ``function``."""
    lam = runtime.client("lambda")
    name = f"broken-{uuid.uuid4().hex[:6]}"
    lam.invoke(
        FunctionName=function,
        InvocationType="Event",
        DurableExecutionName=name,
        Payload=json.dumps({"application_id": name}),
    )

    def failed() -> str | None:
        listed = lam.list_durable_executions_by_function(FunctionName=function, DurableExecutionName=name)
        runs = [run for run in listed["DurableExecutions"] if run["Status"] == "FAILED"]
        return runs[0]["DurableExecutionArn"] if runs else None

    return wait_until(failed, what=name)


def caught_training_execution(runtime: LocalRuntime, variant: str = "sfn") -> str:
    """The ARN of the training workflow's run of the provider-full request on ``variant`` (sfn or hybrid): approved,
    but the provider has no seat, so booking it fails and the budget reserved before is released. On sfn, Book
    Seat's failure is caught by the ASL (Book Seat → Release Budget); on the hybrid, inside the durable saga."""
    from duoflow.scenarios import training_cases
    from duoflow.training_demo import run_training_case

    case = next(case for case in training_cases() if case.case == "provider-full")
    result = run_training_case(runtime, case, variant, measure=False)
    assert result.outcome == "enrollment-failed", result
    sfn = runtime.client("stepfunctions")
    machine = runtime.resolve(ResourceRef("state_machine", f"training-{variant}", "arn"))
    runs = [run for run in sfn.list_executions(stateMachineArn=machine)["executions"] if run["name"] == result.id]
    return runs[0]["executionArn"]
