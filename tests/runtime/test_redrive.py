"""RedriveExecution on the local runtime (moto 5.2.5 has none; patches/moto_stepfunctions.py, keep_step_functions.py):
a failed execution continues from the state that failed, with the input it had, keeping what succeeded and its
history, under the same ARN; refusals carry AWS's error codes; the same through the AWS endpoint. A redriven
execution surviving a restart is in test_restart.py."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from duoflow.runtime import LocalRuntime
from tests.runtime.conftest import create_state_machine, event_types, sfn_history, unique, wait_sfn_done
from tests.runtime.fixtures.extra import calls


def fails_once(runtime: LocalRuntime) -> dict:
    """Prepare (a Pass that counts nothing) → Call Counterpart (fails on its first call: no Retry, no Catch) →
    Finish. ``$$.Execution.RedriveCount`` goes into the call's payload."""
    return {
        "StartAt": "Prepare",
        "States": {
            "Prepare": {"Type": "Pass", "Result": {"prepared": True}, "ResultPath": "$.prepared", "Next": "Call"},
            "Call": {
                "Type": "Task",
                "Resource": runtime.function_arn("flaky"),
                "Parameters": {"key.$": "$.key", "failures": 1, "redrives.$": "$$.Execution.RedriveCount"},
                "ResultPath": "$.call",
                "Next": "Finish",
            },
            "Finish": {"Type": "Pass", "End": True},
        },
    }


@pytest.fixture(scope="module")
def machine(runtime: LocalRuntime, sfn: Any) -> str:
    return create_state_machine(sfn, fails_once(runtime))


def failed_run(sfn: Any, machine: str) -> tuple[str, str]:
    key = unique("key")
    arn = sfn.start_execution(stateMachineArn=machine, name=unique("run"), input=json.dumps({"key": key}))[
        "executionArn"
    ]
    assert wait_sfn_done(sfn, arn)["status"] == "FAILED"
    return arn, key


def error_code(call: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]["Code"], raised.value.response["Error"].get("Message", "")


def test_a_failed_execution_continues_from_the_failed_state_keeping_what_succeeded(sfn: Any, machine: str) -> None:
    arn, key = failed_run(sfn, machine)
    failed = sfn.describe_execution(executionArn=arn)
    assert failed["redriveCount"] == 0 and failed["redriveStatus"] == "REDRIVABLE"
    before = sfn_history(sfn, arn)

    redriven = sfn.redrive_execution(executionArn=arn)
    assert redriven["redriveDate"]
    ended = wait_sfn_done(sfn, arn)

    assert ended["status"] == "SUCCEEDED", ended
    assert ended["executionArn"] == arn and ended["redriveCount"] == 1 and "redriveDate" in ended
    assert ended["redriveStatus"] == "NOT_REDRIVABLE" and "SUCCEEDED" in ended["redriveStatusReason"]
    output = json.loads(ended["output"])
    # the Pass that succeeded is not run again; the failed Task is, with the input it had (Prepare's result in it)
    assert output["prepared"] == {"prepared": True} and output["call"] == {"attempt": 2}
    assert calls(key) == 2
    history = sfn_history(sfn, arn)
    assert history[: len(before)] == before, "the first run's history is kept as it was"
    types = event_types(history)
    assert types[len(before)] == "ExecutionRedriven"
    assert history[len(before)]["executionRedrivenEventDetails"] == {"redriveCount": 1}
    assert types.count("PassStateEntered") == 2  # Prepare once, Finish once
    assert types.count("TaskStateEntered") == 2 and types[-1] == "ExecutionSucceeded"
    assert [event["id"] for event in history] == list(range(1, len(history) + 1))
    entered_again = history[len(before) + 1]
    assert entered_again["type"] == "TaskStateEntered" and entered_again["previousEventId"] == len(before) + 1
    calls_made = [
        json.loads(e["lambdaFunctionScheduledEventDetails"]["input"])
        for e in history
        if e["type"] == "LambdaFunctionScheduled"
    ]
    assert [call["redrives"] for call in calls_made] == [0, 1], "$$.Execution.RedriveCount, as AWS gives it"


def test_an_aborted_execution_can_be_redriven(runtime: LocalRuntime, sfn: Any) -> None:
    waits = create_state_machine(sfn, waiting_for_an_answer())
    arn = sfn.start_execution(stateMachineArn=waits, name=unique("waits"))["executionArn"]
    token = wait_for_token(sfn, arn)
    sfn.stop_execution(executionArn=arn)
    assert wait_sfn_done(sfn, arn)["status"] == "ABORTED"
    # as AWS: the stop ends the history; the interrupted task records nothing after it
    stopped = event_types(sfn_history(sfn, arn))
    assert stopped[-1] == "ExecutionAborted"
    assert not {"TaskTimedOut", "TaskFailed", "TaskSucceeded", "TaskStateExited"} & set(stopped)
    sfn.redrive_execution(executionArn=arn)
    new_token = wait_for_token(sfn, arn, after=token)
    assert new_token != token, "a redriven task waits on a token of its own"
    sfn.send_task_success(taskToken=new_token, output='{"answered": true}')
    assert wait_sfn_done(sfn, arn)["status"] == "SUCCEEDED"


def waiting_for_an_answer() -> dict[str, Any]:
    """A state machine of one task that waits for its token to be answered."""
    return {
        "StartAt": "Wait for Answer",
        "States": {
            "Wait for Answer": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {"FunctionName": "double", "Payload": {"value": 1, "token.$": "$$.Task.Token"}},
                "End": True,
            }
        },
    }


def wait_for_token(sfn: Any, arn: str, after: str | None = None) -> str:
    from tests.waiting import wait_until

    def token() -> str | None:
        tokens = [
            json.loads(e["taskScheduledEventDetails"]["parameters"])["Payload"]["token"]
            for e in sfn_history(sfn, arn)
            if e["type"] == "TaskScheduled"
        ]
        return tokens[-1] if tokens and tokens[-1] != after else None

    return wait_until(token, what="the task's token")


def test_what_cannot_be_redriven_is_refused_with_aws_error_codes(sfn: Any, machine: str) -> None:
    arn, _key = failed_run(sfn, machine)
    sfn.redrive_execution(executionArn=arn)
    wait_sfn_done(sfn, arn)
    code, message = error_code(sfn.redrive_execution, executionArn=arn)
    assert code == "ExecutionNotRedrivable" and "SUCCEEDED" in message
    missing = arn.rsplit(":", 1)[0] + ":" + unique("nobody")
    assert error_code(sfn.redrive_execution, executionArn=missing)[0] == "ExecutionDoesNotExist"
    assert error_code(sfn.redrive_execution, executionArn="not-an-arn")[0] == "InvalidArn"


def test_redrive_through_the_aws_endpoint(runtime: LocalRuntime, sfn: Any, machine: str) -> None:
    arn, key = failed_run(sfn, machine)
    remote = boto3.client("stepfunctions", endpoint_url=runtime.serve_aws(), region_name=runtime.region)
    remote.redrive_execution(executionArn=arn)
    ended = wait_sfn_done(remote, arn)
    assert ended["status"] == "SUCCEEDED" and ended["redriveCount"] == 1
    assert calls(key) == 2


def test_the_moto_internals_redrive_relies_on_are_as_pinned() -> None:
    """moto 5.2.5 has no RedriveExecution (the patch adds it, not replaces it); its callback pool keeps endpoints in
    ``_pool`` (what a stop interrupts); executions are found by ``_get_state_machine_for_execution`` (where a redrive
    puts the re-entered execution) — when a moto bump moves any of these, this fails first."""
    import inspect

    from moto.stepfunctions.models import StepFunctionBackend
    from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackPoolManager

    from duoflow.runtime.patches import moto_stepfunctions

    hooks = {hook.target.path: hook for hook in moto_stepfunctions._patcher._hooks}
    from duoflow.runtime.patches._patching import MISSING

    assert hooks["StepFunctionResponse.redrive_execution"].original is MISSING, "moto has a RedriveExecution now"
    assert "self._pool = OrderedDict()" in inspect.getsource(CallbackPoolManager.__init__)
    assert callable(StepFunctionBackend._get_state_machine_for_execution)


def test_a_timed_out_execution_is_redriven_with_its_timeout_started_again(sfn: Any) -> None:
    """The state machine's TimeoutSeconds ends the first run TIMED_OUT; a redrive gives the run a whole timeout
    again (AWS resets it) and the re-entered task waits on a new token."""
    machine = create_state_machine(sfn, {"TimeoutSeconds": 1, **waiting_for_an_answer()})
    arn = sfn.start_execution(stateMachineArn=machine, name=unique("slow"))["executionArn"]
    token = wait_for_token(sfn, arn)
    assert wait_sfn_done(sfn, arn)["status"] == "TIMED_OUT"
    assert sfn.describe_execution(executionArn=arn)["redriveStatus"] == "REDRIVABLE"
    sfn.redrive_execution(executionArn=arn)
    sfn.send_task_success(taskToken=wait_for_token(sfn, arn, after=token), output='{"in": "time"}')
    ended = wait_sfn_done(sfn, arn)
    assert ended["status"] == "SUCCEEDED" and json.loads(ended["output"]) == {"in": "time"}
