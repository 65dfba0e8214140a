"""A runtime started again on the state directory of a stopped one: durable executions carry on, on the code that is
deployed now; a change to a durable handler's step order under a running execution fails it with a clear cause; a
Step Functions execution started on a mock test case (arn#TestCase) carries on with that test case."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from duoflow.runtime import LocalRuntime
from duoflow.runtime.sfn_mocks import MockConfig
from tests.runtime.conftest import (
    FULL_CATALOG,
    create_state_machine,
    sfn_history,
    start_durable,
    start_runtime,
    unique,
    wait_sfn_done,
)
from tests.waiting import wait_until


def restarted(state_dir: Path, catalog: list | None = None) -> LocalRuntime:
    runtime = start_runtime(state_dir, catalog=catalog)
    runtime.resume()
    return runtime


def execution(runtime: LocalRuntime, arn: str) -> dict:
    return runtime.client("lambda").get_durable_execution(DurableExecutionArn=arn)


def waiting_callback_id(runtime: LocalRuntime, arn: str) -> str | None:
    events = runtime.client("lambda").get_durable_execution_history(DurableExecutionArn=arn)["Events"]
    started = [e for e in events if e.get("EventType") == "CallbackStarted"]
    return started[0]["CallbackStartedDetails"]["CallbackId"] if started else None


def test_a_waiting_durable_execution_is_answered_after_a_restart(tmp_path: Path) -> None:
    runtime = start_runtime(tmp_path)
    try:
        arn = start_durable(runtime.client("lambda"), "await-callback", {"timeout_minutes": 60}, unique("wait"))
        callback_id = wait_until(lambda: waiting_callback_id(runtime, arn), what="the callback is created")
    finally:
        runtime.stop()
    runtime = restarted(tmp_path)
    try:
        assert runtime.resumed["running durable executions"] == 1
        assert execution(runtime, arn)["Status"] == "RUNNING"
        runtime.client("lambda").send_durable_execution_callback_success(CallbackId=callback_id, Result=b'"yes"')
        ended = wait_until(lambda: execution(runtime, arn)["Status"] != "RUNNING" and execution(runtime, arn))
        assert ended["Status"] == "SUCCEEDED" and ended["Result"] == '{"answer": "yes"}'
    finally:
        runtime.stop()


def test_a_changed_step_order_fails_the_running_execution_with_a_clear_cause(tmp_path: Path) -> None:
    runtime = start_runtime(tmp_path)
    try:
        arn = start_durable(runtime.client("lambda"), "await-callback", {"timeout_minutes": 60}, unique("wait"))
        wait_until(lambda: waiting_callback_id(runtime, arn), what="the callback is created")
    finally:
        runtime.stop()
    changed = [
        dataclasses.replace(spec, handler="tests.runtime.fixtures.extra.await_callback_reordered")
        if spec.name == "await-callback"
        else spec
        for spec in FULL_CATALOG
    ]
    runtime = restarted(tmp_path, catalog=changed)
    try:
        ended = wait_until(lambda: execution(runtime, arn)["Status"] != "RUNNING" and execution(runtime, arn))
        assert ended["Status"] == "FAILED"
        error = ended["Error"]
        assert error["ErrorType"].endswith("NonDeterministicExecutionError")
        # What the history has and what the new code does, by name: enough to find the change.
        assert "name checkpoint='nobody' current='inserted step'" in error["ErrorMessage"]
    finally:
        runtime.stop()


# Poll (mocked) → Done? → Wait for Answer (the catalog's function, waiting on its task token) → Poll again …
POLL_TWICE = {
    "Comment": "Polls, waits for an answer, polls again until done.",
    "StartAt": "Poll",
    "States": {
        "Poll": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "double", "Payload": {"value": 21}},
            "OutputPath": "$.Payload",
            "Next": "Done?",
        },
        "Done?": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.done", "BooleanEquals": True, "Next": "Finish"}],
            "Default": "Wait for Answer",
        },
        "Wait for Answer": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {"FunctionName": "double", "Payload": {"value": 1, "token.$": "$$.Task.Token"}},
            "TimeoutSeconds": 86400,
            "Next": "Poll",
        },
        "Finish": {"Type": "Pass", "Result": {"finished": True}, "End": True},
    },
}
POLLS = {"0": {"Return": {"Payload": {"done": False}}}, "1": {"Return": {"Payload": {"done": True}}}}


def scheduled_token(sfn, execution_arn: str) -> str | None:
    for event in sfn_history(sfn, execution_arn):
        if event["type"] == "TaskScheduled":
            payload = json.loads(event["taskScheduledEventDetails"]["parameters"])["Payload"]
            if "token" in payload:
                return payload["token"]
    return None


def test_a_mocked_execution_resumes_with_its_test_case_and_counts_on(tmp_path: Path) -> None:
    """Poll takes invocation 0 (not done), Wait for Answer waits on its token; the runtime stops and starts again
    with no mock configuration at all; the answer → Poll takes invocation 1 (done): the journal's copy of the test
    case, with Poll's count as it was at the checkpoint."""
    config = MockConfig.from_document(
        {"StateMachines": {"poll": {"TestCases": {"Twice": {"Poll": "Polls"}}}}, "MockedResponses": {"Polls": POLLS}}
    )
    runtime = start_runtime(tmp_path)
    try:
        runtime.mock_config = config
        sfn = runtime.client("stepfunctions")
        machine = create_state_machine(sfn, POLL_TWICE, name="poll")
        arn = sfn.start_execution(stateMachineArn=f"{machine}#Twice", name=unique("twice"))["executionArn"]
        token = wait_until(lambda: scheduled_token(sfn, arn), what="Wait for Answer scheduled")
    finally:
        runtime.stop()
    runtime = start_runtime(tmp_path)
    try:
        assert runtime.mock_config is None
        sfn = runtime.client("stepfunctions")
        create_state_machine(sfn, POLL_TWICE, name="poll")
        assert runtime.resume()["running Step Functions executions"] == 1
        sfn.send_task_success(taskToken=token, output=json.dumps({"answered": True}))
        description = wait_sfn_done(sfn, arn)
        assert description["status"] == "SUCCEEDED", description
        assert json.loads(description["output"]) == {"finished": True}
        polls = [
            json.loads(event["taskSucceededEventDetails"]["output"])
            for event in sfn_history(sfn, arn)
            if event["type"] == "TaskSucceeded" and "Payload" in event["taskSucceededEventDetails"]["output"]
        ]
        assert polls == [{"Payload": {"done": False}}, {"Payload": {"done": True}}]
    finally:
        runtime.stop()


# Call Counterpart fails on its first call (no Retry, no Catch) → Wait for Answer (a task token) → Finish.
FAILS_THEN_WAITS = {
    "Comment": "Fails at its counterpart once; redriven, it waits for an answer.",
    "StartAt": "Call Counterpart",
    "States": {
        "Call Counterpart": {
            "Type": "Task",
            "Resource": "arn:aws:lambda:us-east-1:123456789012:function:flaky",
            "Parameters": {"key.$": "$.key", "failures": 1},
            "ResultPath": "$.call",
            "Next": "Wait for Answer",
        },
        "Wait for Answer": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {"FunctionName": "double", "Payload": {"value": 1, "token.$": "$$.Task.Token"}},
            "TimeoutSeconds": 86400,
            "Next": "Finish",
        },
        "Finish": {"Type": "Pass", "End": True},
    },
}


def failed_execution(runtime: LocalRuntime, prefix: str) -> tuple[Any, str]:
    """An execution of FAILS_THEN_WAITS that has failed (its counterpart fails on its first call): the Step
    Functions client and its ARN."""
    sfn = runtime.client("stepfunctions")
    machine = create_state_machine(sfn, FAILS_THEN_WAITS, name="fails-then-waits")
    arn = sfn.start_execution(stateMachineArn=machine, name=unique(prefix), input=json.dumps({"key": unique("k")}))[
        "executionArn"
    ]
    assert wait_sfn_done(sfn, arn)["status"] == "FAILED"
    return sfn, arn


def restarted_with_fails_then_waits(state_dir: Path) -> tuple[LocalRuntime, Any, dict[str, int]]:
    """A runtime started again on ``state_dir``, FAILS_THEN_WAITS deployed again before it resumes (as
    duoflow/stack.py deploys before resuming): the runtime, its Step Functions client and what it resumed."""
    runtime = start_runtime(state_dir)
    try:
        sfn = runtime.client("stepfunctions")
        create_state_machine(sfn, FAILS_THEN_WAITS, name="fails-then-waits")
        return runtime, sfn, runtime.resume()
    except BaseException:
        runtime.stop()
        raise


def test_a_redriven_execution_carries_on_after_a_restart(tmp_path: Path) -> None:
    """Failed, redriven, waiting on its token; the runtime stops and starts again: the execution is re-entered where
    the redrive had brought it (same ARN, redriveCount 1, the ExecutionRedriven event in its history) and ends when
    the token is answered."""
    runtime = start_runtime(tmp_path)
    try:
        sfn, arn = failed_execution(runtime, "redrive")
        sfn.redrive_execution(executionArn=arn)
        token = wait_until(lambda: scheduled_token(sfn, arn), what="Wait for Answer scheduled")
    finally:
        runtime.stop()
    runtime, sfn, resumed = restarted_with_fails_then_waits(tmp_path)
    try:
        assert resumed["running Step Functions executions"] == 1
        assert sfn.describe_execution(executionArn=arn)["redriveCount"] == 1
        sfn.send_task_success(taskToken=token, output=json.dumps({"answered": True}))
        description = wait_sfn_done(sfn, arn)
        assert description["status"] == "SUCCEEDED", description
        assert description["redriveCount"] == 1
        types = [event["type"] for event in sfn_history(sfn, arn)]
        assert types.count("ExecutionRedriven") == 1 and types.count("ExecutionFailed") == 1
        assert types.index("ExecutionFailed") < types.index("ExecutionRedriven") and types[-1] == "ExecutionSucceeded"
    finally:
        runtime.stop()


def test_moto_s_program_begins_at_its_start_at_which_a_resumed_execution_sets_to_its_checkpoint() -> None:
    """keep_step_functions' ResumingWorker enters a restarted execution at its checkpoint's state by evaluating a
    copy of the parsed program whose StartAt names that state (the tests above resume through it, with the speed-ups
    and, in make test's second run, without): moto's Program.eval must begin at ``self.start_at``."""
    import inspect

    from moto.stepfunctions.parser.asl.component.program.program import Program

    stock = getattr(Program.eval, "stock", Program.eval)  # the in-thread speed-up keeps moto's as .stock
    assert "env.next_state_name = self.start_at.start_at_name" in inspect.getsource(stock)
    assert "start_at" not in inspect.getsource(Program._eval_body)


def test_an_ended_execution_s_history_is_read_from_the_journal_when_first_asked_for(tmp_path: Path) -> None:
    """A restart brings an ended Step Functions execution back without reading its history (most are never looked
    at again); the first GetExecutionHistory reads it, whole and as it was, and a redrive still finds it."""
    runtime = start_runtime(tmp_path)
    try:
        sfn, arn = failed_execution(runtime, "ended")
        before = sfn_history(sfn, arn)
    finally:
        runtime.stop()
    runtime, sfn, _resumed = restarted_with_fails_then_waits(tmp_path)
    try:
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        backend = stepfunctions_parser_backends[runtime.account_id][runtime.region]
        manager = backend.describe_execution(arn).exec_worker.env.event_manager
        assert manager._read_history is not None and manager._history_event_list == []  # not read at the start
        assert sfn_history(sfn, arn) == before
        assert manager._read_history is None and sfn_history(sfn, arn) == before  # read once
        sfn.redrive_execution(executionArn=arn)
        wait_until(lambda: scheduled_token(sfn, arn), what="Wait for Answer scheduled after the redrive")
        types = [event["type"] for event in sfn_history(sfn, arn)]
        assert types[: len(before)] == [event["type"] for event in before] and "ExecutionRedriven" in types
    finally:
        runtime.stop()


def test_moto_reads_an_ended_execution_s_events_only_through_get_event_history() -> None:
    """What the lazy history relies on in the pinned moto: outside EventManager's own methods nothing reads its
    list of events, and EventManager reads it in three places (set up, append an event, copy it for a reader);
    duoflow's own readers are for running executions (keep_step_functions: ``entering``, ``publish``)."""
    import inspect
    import re

    import moto.stepfunctions.parser as parser
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager

    root = Path(parser.__file__).parent
    readers = {
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "_history_event_list" in path.read_text(encoding="utf-8")
    }
    assert readers == {"asl/eval/event/event_manager.py"}
    source = inspect.getsource(EventManager)
    assert len(re.findall(r"self\._history_event_list\b", source)) == 3
    assert "return copy.deepcopy(self._history_event_list)" in inspect.getsource(EventManager.get_event_history)
