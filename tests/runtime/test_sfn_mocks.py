"""Step Functions Local's mock configuration files on the runtime (duoflow/runtime/sfn_mocks.py): StartExecution on
``stateMachineArn#TestCase`` runs the execution with the test case's mocked responses.

First AWS's own example ("Using mocked service integrations" in the Step Functions developer guide, its state
machine and MockConfigFile.json copied as they are into tests/runtime/fixtures/sfn_mocks/; AWS documentation
samples, MIT-0): HappyPath, RetryPath (three thrown errors retried, the fourth invocation returns) and HybridPath
(LambdaState mocked, SQSState calling the real queue). Then what the guide states in words: invocations numbered
per state across the execution (a loop, a Map), a mocked ``.waitForTaskToken`` task answering at once, a Throw
caught by a Catch, an invocation the file does not cover failing the execution, a plain ARN running as usual;
StartExecution's refusals; a mocked execution carrying on after a restart with its test case and its counts;
and guards on the moto internals the hooks rely on.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from duoflow.runtime.sfn_mocks import MockConfig
from tests.runtime.conftest import (
    create_state_machine,
    event_types,
    sfn_history,
    unique,
    wait_sfn_done,
)

FIXTURES = Path(__file__).parent / "fixtures" / "sfn_mocks"
MOCKED_LAMBDA = {"StatusCode": 200, "Payload": {"StatusCode": 200, "body": "Hello from Lambda!"}}
MOCKED_SQS = {
    "MD5OfMessageBody": "3bcb6e8e-7h85-4375-b0bc-1a59812c6e51",
    "MessageId": "3bcb6e8e-8b51-4375-b0bc-1a59812c6e51",
}


@pytest.fixture
def sfn_mock_config_file() -> Path:
    """The file the sfn_mock_config fixture (duoflow/runtime/pytest_plugin.py) loads: AWS's example."""
    return FIXTURES / "MockConfigFile.json"


@pytest.fixture(scope="module")
def lambda_sqs_integration(runtime) -> str:
    """AWS's example state machine, deployed under its own name (test cases are found by the state machine's
    name), and the queue its SQSState sends to."""
    runtime.client("sqs").create_queue(QueueName="myQueue")
    definition = json.loads((FIXTURES / "LambdaSQSIntegration.asl.json").read_text())
    return create_state_machine(runtime.client("stepfunctions"), definition, name="LambdaSQSIntegration")


def run(sfn, arn: str, payload: object = None) -> tuple[dict, list[dict]]:
    execution = sfn.start_execution(stateMachineArn=arn, name=unique("mocked"), input=json.dumps(payload or {}))
    description = wait_sfn_done(sfn, execution["executionArn"])
    return description, sfn_history(sfn, execution["executionArn"])


def details(events: list[dict], kind: str) -> list[dict]:
    """The details of every ``kind`` event (TaskSucceeded → its taskSucceededEventDetails)."""
    key = kind[0].lower() + kind[1:] + "EventDetails"
    return [event[key] for event in events if event["type"] == kind]


def inputs(events: list[dict], state: str) -> list[object]:
    """The input of each time ``state`` was entered."""
    entered = [event["stateEnteredEventDetails"] for event in events if event["type"].endswith("StateEntered")]
    return [json.loads(detail["input"]) for detail in entered if detail["name"] == state]


# --- AWS's example ----------------------------------------------------------------------------------------------


def test_happy_path_answers_both_tasks_with_their_mocked_responses(sfn, lambda_sqs_integration, sfn_mock_config):
    description, events = run(sfn, f"{lambda_sqs_integration}#HappyPath")

    assert description["status"] == "SUCCEEDED", description
    assert description["stateMachineArn"] == lambda_sqs_integration  # without the test case
    # LambdaState's result is its mocked Invoke response, and it is SQSState's input; SQSState's is its mock.
    succeeded = [json.loads(detail["output"]) for detail in details(events, "TaskSucceeded")]
    assert succeeded == [MOCKED_LAMBDA, MOCKED_SQS]
    assert inputs(events, "LambdaState") == [{}]
    assert inputs(events, "SQSState") == [MOCKED_LAMBDA]
    assert json.loads(description["output"]) == MOCKED_SQS


def test_retry_path_throws_three_times_then_returns_under_the_states_retry(
    sfn, lambda_sqs_integration, sfn_mock_config
):
    description, events = run(sfn, f"{lambda_sqs_integration}#RetryPath")

    assert description["status"] == "SUCCEEDED", description
    failures = [(detail["error"], detail["cause"]) for detail in details(events, "TaskFailed")]
    assert failures == [
        ("Lambda.ResourceNotReadyException", "Lambda resource is not ready."),
        ("Lambda.TimeoutException", "Lambda timed out."),
        ("Lambda.TimeoutException", "Lambda timed out."),
    ]
    assert len(details(events, "TaskScheduled")) == 5  # LambdaState four times (MaxAttempts 3), SQSState once
    assert json.loads(description["output"]) == MOCKED_SQS


def test_hybrid_path_mocks_lambda_state_and_sends_the_real_message(
    runtime, sfn, lambda_sqs_integration, sfn_mock_config
):
    description, _events = run(sfn, f"{lambda_sqs_integration}#HybridPath")

    assert description["status"] == "SUCCEEDED", description
    sent = json.loads(description["output"])
    assert sent["MessageId"] != MOCKED_SQS["MessageId"]  # SQS's own answer
    sqs = runtime.client("sqs")
    queue = sqs.get_queue_url(QueueName="myQueue")["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    assert [json.loads(message["Body"]) for message in messages if message["MessageId"] == sent["MessageId"]] == [
        MOCKED_LAMBDA
    ]


# --- what the guide says in words -------------------------------------------------------------------------------

POLL = {
    "Comment": "Polls until done, waits for a token, and ends.",
    "StartAt": "Poll",
    "States": {
        "Poll": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "double", "Payload": {"value": 21}},
            "OutputPath": "$.Payload",
            "Catch": [{"ErrorEquals": ["PollRefused"], "Next": "Refused"}],
            "Next": "Done?",
        },
        "Done?": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.done", "BooleanEquals": True, "Next": "Wait for Answer"}],
            "Default": "Poll",
        },
        "Wait for Answer": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {"FunctionName": "double", "Payload": {"value": 1, "token.$": "$$.Task.Token"}},
            "TimeoutSeconds": 86400,
            "End": True,
        },
        "Refused": {"Type": "Pass", "Parameters": {"refused.$": "$.Cause"}, "End": True},
    },
}


def poll_config(poll: dict, answer: dict | None = None) -> MockConfig:
    states = {"Poll": "Polls", **({"Wait for Answer": "Answer"} if answer else {})}
    return MockConfig.from_document(
        {
            "StateMachines": {"poll": {"TestCases": {"Case": states}}},
            "MockedResponses": {"Polls": poll, **({"Answer": answer} if answer else {})},
        }
    )


@pytest.fixture(scope="module")
def poll_machine(sfn) -> str:
    return create_state_machine(sfn, POLL, name="poll")


@pytest.fixture
def mocks(runtime):
    """Set the runtime's mock configuration for one test."""
    previous = runtime.mock_config

    def use(config: MockConfig | None) -> None:
        runtime.mock_config = config

    yield use
    runtime.mock_config = previous


def returns(*payloads: object) -> dict:
    return {str(number): {"Return": {"Payload": payload}} for number, payload in enumerate(payloads)}


def test_invocations_are_numbered_per_state_across_the_execution_and_a_token_task_answers_at_once(
    sfn, poll_machine, mocks
):
    mocks(poll_config(returns({"done": False}, {"done": False}, {"done": True}), {"0": {"Return": {"ok": 1}}}))

    description, events = run(sfn, f"{poll_machine}#Case")

    assert description["status"] == "SUCCEEDED", description
    # Poll entered three times (no retry: moto's RetryCount stays 0) took invocations 0, 1 and 2.
    assert [json.loads(d["output"]) for d in details(events, "TaskSucceeded")][:3] == [
        {"Payload": {"done": False}},
        {"Payload": {"done": False}},
        {"Payload": {"done": True}},
    ]
    # The .waitForTaskToken task was answered by its mock, its function never called.
    assert json.loads(description["output"]) == {"ok": 1}
    assert "TaskSubmitted" in event_types(events)


def test_a_thrown_error_is_caught_with_its_error_and_cause(sfn, poll_machine, mocks):
    mocks(poll_config({"0": {"Throw": {"Error": "PollRefused", "Cause": "the service said no"}}}))

    description, _events = run(sfn, f"{poll_machine}#Case")

    assert description["status"] == "SUCCEEDED", description
    assert json.loads(description["output"]) == {"refused": "the service said no"}


@pytest.mark.parametrize(("error", "caught_by"), [("States.Timeout", "Timed Out"), ("FraudServiceDown", "Task Failed")])
def test_a_thrown_states_error_is_that_error_and_any_other_is_a_task_failure(sfn, mocks, error, caught_by):
    """A mocked States.Timeout is how a test takes a task's timeout route: Catch on States.Timeout takes it, and
    States.TaskFailed does not (it matches every error but the States.* ones), as in AWS."""
    definition = {
        "Comment": "Asks and waits; a timeout and a failure end apart.",
        "StartAt": "Ask",
        "States": {
            "Ask": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {"FunctionName": "double", "Payload": {"token.$": "$$.Task.Token"}},
                "TimeoutSeconds": 3600,
                "Catch": [
                    {"ErrorEquals": ["States.TaskFailed"], "Next": "Task Failed"},
                    {"ErrorEquals": ["States.Timeout"], "Next": "Timed Out"},
                ],
                "End": True,
            },
            "Task Failed": {"Type": "Pass", "End": True},
            "Timed Out": {"Type": "Pass", "End": True},
        },
    }
    machine = create_state_machine(sfn, definition, name=unique("ask"))
    mocks(
        MockConfig.from_document(
            {
                "StateMachines": {machine.rsplit(":", 1)[1]: {"TestCases": {"Fails": {"Ask": "Thrown"}}}},
                "MockedResponses": {"Thrown": {"0": {"Throw": {"Error": error, "Cause": "as mocked"}}}},
            }
        )
    )

    description, events = run(sfn, f"{machine}#Fails")

    assert description["status"] == "SUCCEEDED", description
    assert json.loads(description["output"]) == {"Error": error, "Cause": "as mocked"}
    assert inputs(events, caught_by) == [{"Error": error, "Cause": "as mocked"}]


def test_an_invocation_the_test_case_does_not_cover_fails_the_execution_saying_which(sfn, poll_machine, mocks):
    mocks(poll_config(returns({"done": False})))

    description, _events = run(sfn, f"{poll_machine}#Case")

    assert description["status"] == "FAILED"
    assert description["error"] == "States.Runtime"
    assert (
        "test case 'Case' of state machine 'poll' has no mocked response for invocation 1 of state 'Poll' "
        "(mocked response 'Polls' covers invocations 0-0)"
    ) in description["cause"]


def test_a_plain_arn_runs_the_real_integrations_while_a_configuration_is_loaded(sfn, mocks):
    definition = {
        "Comment": "Doubles 21.",
        "StartAt": "Double",
        "States": {
            "Double": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "double", "Payload": {"value": 21}},
                "OutputPath": "$.Payload",
                "End": True,
            }
        },
    }
    machine = create_state_machine(sfn, definition, name=unique("double"))
    mocks(
        MockConfig.from_document(
            {
                "StateMachines": {machine.rsplit(":", 1)[1]: {"TestCases": {"Mocked": {"Double": "Zero"}}}},
                "MockedResponses": {"Zero": returns({"value": 0})},
            }
        )
    )

    plain, _events = run(sfn, machine)
    mocked, _events = run(sfn, f"{machine}#Mocked")

    assert json.loads(plain["output"]) == {"value": 42}  # the catalog's function: double(21)
    assert json.loads(mocked["output"]) == {"value": 0}


def test_map_iterations_take_the_next_invocation_numbers(sfn, mocks):
    definition = {
        "Comment": "One mocked task per item, one item at a time.",
        "StartAt": "Each Item",
        "States": {
            "Each Item": {
                "Type": "Map",
                "MaxConcurrency": 1,
                "ItemProcessor": {
                    "StartAt": "Price",
                    "States": {
                        "Price": {
                            "Type": "Task",
                            "Resource": "arn:aws:states:::lambda:invoke",
                            "Parameters": {"FunctionName": "double", "Payload.$": "$"},
                            "OutputPath": "$.Payload",
                            "End": True,
                        }
                    },
                },
                "End": True,
            }
        },
    }
    machine = create_state_machine(sfn, definition, name=unique("prices"))
    name = machine.rsplit(":", 1)[1]
    mocks(
        MockConfig.from_document(
            {
                "StateMachines": {name: {"TestCases": {"ThreeItems": {"Price": "Prices"}}}},
                "MockedResponses": {"Prices": returns(10, 20, 30)},
            }
        )
    )

    description, _events = run(sfn, f"{machine}#ThreeItems", [{"value": 1}, {"value": 2}, {"value": 3}])

    assert description["status"] == "SUCCEEDED", description
    assert json.loads(description["output"]) == [10, 20, 30]


# --- StartExecution's refusals ----------------------------------------------------------------------------------


def refusal(sfn, arn: str) -> tuple[str, str]:
    with pytest.raises(ClientError) as refused:
        sfn.start_execution(stateMachineArn=arn, name=unique("refused"), input="{}")
    return refused.value.response["Error"]["Code"], refused.value.response["Error"]["Message"]


def test_an_unknown_test_case_is_refused_naming_it_and_the_state_machine(sfn, lambda_sqs_integration, sfn_mock_config):
    code, message = refusal(sfn, f"{lambda_sqs_integration}#SadPath")
    assert code == "InvalidName"
    assert message == (
        "Invalid mock test case name 'SadPath': state machine 'LambdaSQSIntegration' has no test case 'SadPath' in "
        f"the mock configuration {sfn_mock_config.source} (its test cases: HappyPath, RetryPath, HybridPath)"
    )


def test_a_state_machine_the_file_does_not_know_is_refused(sfn, poll_machine, sfn_mock_config):
    code, message = refusal(sfn, f"{poll_machine}#HappyPath")
    assert code == "InvalidName"
    assert "has no state machine 'poll' (test case 'HappyPath' was asked for" in message


def test_a_test_case_without_a_loaded_configuration_is_refused_saying_so(sfn, poll_machine, mocks):
    mocks(None)
    code, message = refusal(sfn, f"{poll_machine}#Case")
    assert code == "InvalidName"
    assert message.startswith("Invalid mock test case name 'Case': no mock configuration is loaded (duoflow serve ")


def test_a_missing_state_machine_is_named_without_the_test_case(sfn, lambda_sqs_integration, sfn_mock_config):
    code, message = refusal(sfn, f"{lambda_sqs_integration}-gone#HappyPath")
    assert code == "StateMachineDoesNotExist"
    assert message == f"State Machine Does Not Exist: '{lambda_sqs_integration}-gone'"


# --- guards: what the hooks rely on in moto 5.2.5 ---------------------------------------------------------------


def test_guard_moto_still_runs_no_test_case_and_indexes_mocks_by_retry_count():
    """Both fixes are still needed: moto's loader is a stub, its start_execution looks the whole ARN up, and a
    mocked response is picked by the state's RetryCount."""
    from moto.stepfunctions.parser import models
    from moto.stepfunctions.parser.asl.eval.environment import Environment
    from moto.stepfunctions.parser.mocking import mock_config

    assert "raw_mock_config = None" in inspect.getsource(mock_config.load_mock_test_case_for)
    start = inspect.getsource(_stock(models.StepFunctionsParserBackend.start_execution))
    assert "state_machine = self.describe_state_machine(state_machine_arn)" in start
    assert "mock_test_case" not in start
    assert "execution.start()" in start  # in the caller's thread: sfn_mocks.starting is still set
    stock_response = inspect.getsource(_stock(Environment.get_current_mocked_response))
    assert '"RetryCount"' in stock_response and "mocked_responses[retry_count]" in stock_response


def test_guard_moto_reads_the_test_case_where_the_hooks_put_it():
    """The keeper sets ``env.mock_test_case`` on each execution's Environment; frames share the very object (so
    the counts are the execution's); a mocked Task asks for its response once per invocation; a mocked
    ``.waitForTaskToken`` task does not wait; the worker reaches its execution through its communication."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service,
        state_task_service_callback,
    )
    from moto.stepfunctions.parser.asl.eval.environment import Environment
    from moto.stepfunctions.parser.backend import execution

    assert "mock_test_case=env.mock_test_case" in inspect.getsource(Environment.as_inner_frame_of)
    assert "self.next_state_name in self.mock_test_case.state_mocked_responses" in inspect.getsource(
        Environment.is_mocked_mode
    )
    service = inspect.getsource(state_task_service.StateTaskService._eval_execution)
    assert service.count("get_current_mocked_response()") == 1
    assert inspect.getsource(lambda_eval_utils).count("get_current_mocked_response()") == 1
    callback = inspect.getsource(state_task_service_callback.StateTaskServiceCallback._after_eval_execution)
    assert "if not env.is_mocked_mode():" in callback
    assert "self.execution = execution" in inspect.getsource(execution.BaseExecutionWorkerCommunication.__init__)


def test_guard_moto_still_throws_mocked_errors_as_custom_error_names():
    """The Throw fix is still needed: CustomErrorName refuses a States.* name."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import mock_eval_utils

    stock = inspect.getsource(_stock(mock_eval_utils._eval_mocked_response_throw))
    assert "error_name = CustomErrorName(mocked_response.error)" in stock
    assert "_eval_mocked_response_throw(env=env, mocked_response=mocked_response)" in inspect.getsource(
        mock_eval_utils.eval_mocked_response
    )


def _stock(function):
    """moto's own function under a patch (the patch keeps it in its closure as stock_*)."""
    closure = inspect.getclosurevars(function).nonlocals
    for name in ("stock_start", "stock_response", "stock_throw"):
        if name in closure:
            return closure[name]
    return function
