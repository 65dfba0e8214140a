"""Where the local runtime answers as AWS does and its libraries do not (issue 16, item 5): context timestamps,
the JSONata functions Step Functions adds, CreateStateMachine's errors, durable execution ARNs, the durable
history of a retried step (its failed attempt, and the attempt each step succeeded on: item 6 found that one). Each fix has a guard that fails when the pinned library's own behaviour moves."""

from __future__ import annotations

import inspect
import json
import re
from datetime import UTC

import botocore.session
import pytest
from botocore.exceptions import ClientError

from tests.runtime.conftest import (
    ROLE_ARN,
    durable_history,
    durable_start_input,
    run_state_machine,
    start_durable,
    unique,
    wait_durable_done,
)

AWS_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")  # "2026-12-03T10:00:00.123Z"
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def jsonata_pass(expression: str) -> dict:
    state = {"Type": "Pass", "Output": {"value": "{% " + expression + " %}"}, "End": True}
    return {"QueryLanguage": "JSONata", "StartAt": "Evaluate", "States": {"Evaluate": state}}


def jsonata_task_with_catch(expression: str) -> dict:
    """A Task whose Arguments evaluate ``expression`` (a Pass state has no Catch), caught into "Caught"."""
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Arguments": {"FunctionName": "double", "Payload": {"value": "{% " + expression + " %}"}},
        "Catch": [{"ErrorEquals": ["States.QueryEvaluationError"], "Next": "Caught"}],
        "End": True,
    }
    caught = {"Type": "Pass", "Output": "{% $states.input %}", "End": True}
    return {"QueryLanguage": "JSONata", "StartAt": "Evaluate", "States": {"Evaluate": task, "Caught": caught}}


# --- (a) context timestamps ------------------------------------------------------------------------------------


def test_jsonpath_context_timestamps_are_aws_strings_and_reach_a_lambda(sfn):
    definition = {
        "StartAt": "Stamp",
        "States": {
            "Stamp": {
                "Type": "Pass",
                "Parameters": {"started.$": "$$.Execution.StartTime", "entered.$": "$$.State.EnteredTime"},
                "Next": "Call",
            },
            "Call": {  # the whole input, timestamps included, goes through json.dumps to the function
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "double", "Payload": {"value": 1, "context.$": "$"}},
                "ResultSelector": {"value.$": "$.Payload.value"},
                "ResultPath": "$.doubled",
                "End": True,
            },
        },
    }
    description, _, _ = run_state_machine(sfn, definition, {})

    assert description["status"] == "SUCCEEDED", description
    output = json.loads(description["output"])
    assert AWS_TIMESTAMP.match(output["started"]), output
    assert AWS_TIMESTAMP.match(output["entered"]), output
    assert output["doubled"] == {"value": 2}
    started = description["startDate"].astimezone(UTC)
    assert output["started"] == started.strftime("%Y-%m-%dT%H:%M:%S.") + f"{started.microsecond // 1000:03d}Z"
    assert output["started"] <= output["entered"]


def test_jsonata_context_timestamps_are_aws_strings(sfn):
    definition = jsonata_pass("$states.context")
    description, _, _ = run_state_machine(sfn, definition, {})

    assert description["status"] == "SUCCEEDED", description
    context = json.loads(description["output"])["value"]
    assert AWS_TIMESTAMP.match(context["Execution"]["StartTime"]), context
    assert AWS_TIMESTAMP.match(context["State"]["EnteredTime"]), context


def test_guard_moto_still_puts_a_datetime_and_isoformat_into_the_context():
    from moto.stepfunctions.parser.asl.component.state import state
    from moto.stepfunctions.parser.backend import execution_worker

    assert "StartTime=self._evaluation_details.execution_details.start_time" in inspect.getsource(execution_worker)
    assert "EnteredTime=datetime.datetime.now(tz=datetime.timezone.utc).isoformat()" in inspect.getsource(state)


# --- (b) the JSONata functions Step Functions adds ------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("$partition([1, 2, 3, 4, 5, 6, 7, 8, 9], 3)", [[1, 2, 3], [4, 5, 6], [7, 8, 9]]),
        ("$partition([1, 2, 3, 4, 5], 2)", [[1, 2], [3, 4], [5]]),
        ("$partition([1, 2], 5)", [[1, 2]]),
        ("$range(0, 10, 2)", [0, 2, 4, 6, 8, 10]),
        ("$range(5, 1, -2)", [5, 3, 1]),
        ("$hash('abc', 'SHA-256')", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("$hash('abc', 'MD5')", "900150983cd24fb0d6963f7d28e17f72"),
        ("$hash('abc', 'SHA-1')", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        ('$parse(\'{"a": [1, 2], "b": null}\')', {"a": [1, 2], "b": None}),
        ("$parse('\"text\"')", "text"),
        ("$random(42) = $random(42)", True),
        ("$random() >= 0 and $random() < 1", True),
        ("$uuid() != $uuid()", True),
        ("($hash := function($v){'mine'}; $hash('x'))", "mine"),  # a workflow's own binding still wins
    ],
)
def test_step_functions_jsonata_functions(sfn, expression, expected):
    description, _, _ = run_state_machine(sfn, jsonata_pass(expression), {})

    assert description["status"] == "SUCCEEDED", description
    assert json.loads(description["output"])["value"] == expected


def test_uuid_is_a_version_4_uuid_and_random_a_fraction(sfn):
    definition = jsonata_pass("{'id': $uuid(), 'seeded': $random(7), 'any': $random()}")
    description, _, _ = run_state_machine(sfn, definition, {})

    value = json.loads(description["output"])["value"]
    assert UUID4.match(value["id"]), value
    assert 0 <= value["seeded"] < 1 and 0 <= value["any"] < 1


@pytest.mark.parametrize(
    ("expression", "names"),
    [
        ("$hash('abc', 'SHA-3')", "$hash: unsupported algorithm"),
        ("$partition('abc', 2)", "$partition: the first argument must be an array"),
        ("$range(0, 10, 0)", "$range: the step must not be 0"),
        ("$parse('{not json')", "$parse: not valid JSON"),
        ("$nosuch(1)", "$nosuch is not a function"),
    ],
)
def test_a_function_that_cannot_answer_fails_the_state_with_query_evaluation_error(sfn, expression, names):
    description, events, _ = run_state_machine(sfn, jsonata_pass(expression), {})

    assert description["status"] == "FAILED", description
    assert description["error"] == "States.QueryEvaluationError"
    assert names in description["cause"] and expression in description["cause"], description["cause"]
    assert "not supported" not in json.dumps(events, default=str)


def test_a_query_evaluation_error_is_caught_by_catch(sfn):
    description, _, _ = run_state_machine(sfn, jsonata_task_with_catch("$hash('abc', 'CRC32')"), {})

    assert description["status"] == "SUCCEEDED", description
    caught = json.loads(description["output"])
    assert caught["Error"] == "States.QueryEvaluationError"
    assert "$hash: unsupported algorithm" in caught["Cause"]


def test_guard_moto_still_declares_uuid_and_hash_as_not_supported_strings():
    from moto.stepfunctions.parser.asl.component.intrinsic import jsonata as intrinsics
    from moto.stepfunctions.parser.asl.jsonata import jsonata as moto_jsonata

    source = inspect.getsource(intrinsics)
    assert '"Function $uuid is currently not supported"' in source
    assert '"Function $hash is currently not supported"' in source
    assert "$eval($v)" in source  # moto's $parse
    assert "except" not in inspect.getsource(moto_jsonata.eval_jsonata_expression)  # nothing catches its errors


# --- (c) CreateStateMachine errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("definition", "problem"),
    [
        ("not json", "INVALID_JSON_DESCRIPTION"),
        (json.dumps({"StartAt": "Nowhere", "States": {"A": {"Type": "Succeed"}}}), "Missing 'StartAt' target: Nowhere"),
        (
            json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Gone"}}}),
            "Missing 'Next' target: Gone at /States/A/Next",
        ),
        (
            json.dumps(
                {
                    "StartAt": "P",
                    "States": {
                        "P": {
                            "Type": "Parallel",
                            "End": True,
                            "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "Next": "Lost"}}}],
                        }
                    },
                }
            ),
            "Missing 'Next' target: Lost at /States/P/Branches[0]/States/B/Next",
        ),
        (json.dumps({"StartAt": "A", "States": {"A": {"Type": "Teleport", "End": True}}}), "SCHEMA_VALIDATION_FAILED"),
    ],
    ids=["not-json", "start-at", "next", "next-in-a-branch", "unknown-type"],
)
def test_create_state_machine_refuses_with_invalid_definition_naming_the_problem(sfn, definition, problem):
    with pytest.raises(ClientError) as refused:
        sfn.create_state_machine(name=unique("bad"), definition=definition, roleArn=ROLE_ARN)

    error = refused.value.response["Error"]
    assert error["Code"] == "InvalidDefinition"
    assert error["Message"].startswith("Invalid State Machine Definition: '")
    assert problem in error["Message"]
    assert len(error["Message"]) < 300 and "expecting" not in error["Message"], error["Message"]


def test_guard_moto_still_raises_invalid_definition_without_an_error_code():
    from moto.stepfunctions.parser import models
    from moto.stepfunctions.parser.api import InvalidDefinition

    assert getattr(InvalidDefinition, "TYPE", None) is None and InvalidDefinition.code == "InvalidDefinition"
    assert "in definition '{definition}'" in inspect.getsource(models)  # the module: the method is patched now


def test_an_execution_is_described_with_the_state_machine_it_started_on_after_an_update(sfn):
    """DescribeStateMachineForExecution answers the definition and role an execution runs with (moto answered the
    state machine as it is now, so an older execution was drawn with states it never had)."""
    first = {"StartAt": "First", "States": {"First": {"Type": "Pass", "End": True}}}
    second = {"StartAt": "Second", "States": {"Second": {"Type": "Pass", "End": True}}}
    machine = sfn.create_state_machine(name=unique("updated"), definition=json.dumps(first), roleArn=ROLE_ARN)
    arn = machine["stateMachineArn"]
    before = sfn.start_execution(stateMachineArn=arn, name=unique("before"))["executionArn"]
    other_role = ROLE_ARN.replace(":role/", ":role/other-")
    sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(second), roleArn=other_role)
    after = sfn.start_execution(stateMachineArn=arn, name=unique("after"))["executionArn"]

    described = {name: sfn.describe_state_machine_for_execution(executionArn=name) for name in (before, after)}
    assert json.loads(described[before]["definition"]) == first and described[before]["roleArn"] == ROLE_ARN
    assert json.loads(described[after]["definition"]) == second and described[after]["roleArn"] == other_role
    assert described[before]["stateMachineArn"] == described[after]["stateMachineArn"] == arn
    with pytest.raises(ClientError):  # moto's refusal of an execution it does not have stands
        sfn.describe_state_machine_for_execution(executionArn=before.rsplit(":", 1)[0] + ":never-started")


def test_guard_moto_starts_an_execution_on_a_snapshot_and_describes_the_state_machine_by_its_arn():
    from moto.stepfunctions import responses
    from moto.stepfunctions.parser import models

    started = inspect.getsource(models)  # the modules: both methods are patched now
    assert "state_machine_clone = copy.deepcopy(" in started and "state_machine=state_machine_clone," in started
    described = inspect.getsource(responses)
    assert "sm = self.stepfunction_backend.describe_state_machine_for_execution(arn)" in described
    assert "return self._describe_state_machine(sm.arn)" in described


# --- (d) durable execution ARNs -------------------------------------------------------------------------------


def test_durable_execution_arn_has_lambdas_format(lam):
    from aws_durable_execution_sdk_python.types import DurableExecutionArn

    name = unique("arn")
    arn = start_durable(lam, "await-callback", {"timeout_minutes": 60}, name=name)

    pattern = botocore.session.get_session().get_service_model("lambda").shape_for("DurableExecutionArn")
    assert re.fullmatch(pattern.metadata["pattern"], arn), arn
    assert arn.startswith(
        f"arn:aws:lambda:us-east-1:123456789012:function:await-callback:$LATEST/durable-execution/{name}/"
    )
    parsed = DurableExecutionArn.from_arn(arn)  # how the durable SDK reads it
    assert (parsed.function_name, parsed.execution_name) == ("await-callback", name)
    assert lam.get_durable_execution(DurableExecutionArn=arn)["DurableExecutionArn"] == arn
    lam.stop_durable_execution(DurableExecutionArn=arn)
    assert wait_durable_done(lam, arn)["Status"] == "STOPPED"


def test_guard_the_testing_sdk_still_names_executions_uuid_slash_uuid():
    from aws_durable_execution_sdk_python_testing.execution import Execution
    from aws_durable_execution_sdk_python_testing.executor import Executor

    stock = Execution.new(durable_start_input())
    assert re.fullmatch(r"[0-9a-f-]{36}/run", stock.durable_execution_arn)
    # JournaledExecutor._create_execution repeats these steps with another ARN: they must still be the SDK's
    source = inspect.getsource(Executor._create_execution)
    for step in (
        "execution = Execution.new(input=input)",
        "execution.region = self._region",
        "execution.parent_execution_arn = parent_execution_arn",
        "execution.start(now=self._clock.now())",
        "self._store.save(execution)",
    ):
        assert step in source, step


# --- (e) a retried step ---------------------------------------------------------------------------------------


def test_a_step_that_fails_once_runs_again_as_attempt_2(lam):
    arn = start_durable(lam, "retry-once", {"key": unique("retry")})

    description = wait_durable_done(lam, arn)

    assert description["Status"] == "SUCCEEDED", description
    assert json.loads(description["Result"]) == {"attempts": [1, 2]}
    steps = [event["EventType"] for event in durable_history(lam, arn) if event["EventType"].startswith("Step")]
    assert steps[0] == "StepStarted" and steps[-2:] == ["StepStarted", "StepSucceeded"], steps


def test_the_failed_attempt_is_in_the_history_as_aws_records_it(lam):
    arn = start_durable(lam, "retry-once", {"key": unique("retry")})
    wait_durable_done(lam, arn)

    steps = [event["EventType"] for event in durable_history(lam, arn) if event["EventType"].startswith("Step")]
    assert steps == ["StepStarted", "StepFailed", "StepStarted", "StepSucceeded"]


def test_a_retried_step_succeeds_on_attempt_2_in_the_history_as_lambda_records_it(lam):
    """StepSucceeded carries RetryDetails (botocore: required), so a client reading the history — the durable SDK's
    cloud test runner, its example test_step_with_retry — sees the attempt the step succeeded on."""
    arn = start_durable(lam, "retry-once", {"key": unique("retry")})
    wait_durable_done(lam, arn)

    steps = [event for event in durable_history(lam, arn) if event["EventType"].startswith("Step")]
    assert steps[1]["StepFailedDetails"]["RetryDetails"]["CurrentAttempt"] == 1
    assert steps[-1]["StepSucceededDetails"]["RetryDetails"] == {"CurrentAttempt": 2}
    required = botocore.session.get_session().get_service_model("lambda").shape_for("StepSucceededDetails")
    assert "RetryDetails" in required.required_members


def test_steps_that_succeed_at_once_are_attempt_1(lam):
    arn = start_durable(lam, "sum-then-ask", {"values": [1, 2]})
    wait_durable_done(lam, arn)

    succeeded = [event for event in durable_history(lam, arn) if event["EventType"] == "StepSucceeded"]
    assert len(succeeded) == 3  # the two parallel steps and the callback's submitter
    assert all(event["StepSucceededDetails"]["RetryDetails"] == {"CurrentAttempt": 1} for event in succeeded)


def test_guard_the_testing_sdk_still_writes_no_retry_details_on_step_succeeded(runtime, lam):
    """JournaledExecutor.get_execution_history adds them; when the SDK writes them itself, drop the override."""
    from aws_durable_execution_sdk_python_testing.executor import Executor

    arn = start_durable(lam, "retry-once", {"key": unique("retry")})
    wait_durable_done(lam, arn)

    stock = Executor.get_execution_history(runtime.durable.executor, arn, include_execution_data=True)
    succeeded = [event for event in stock.events if event.event_type == "StepSucceeded"]
    assert len(succeeded) == 1 and succeeded[0].step_succeeded_details.retry_details is None
