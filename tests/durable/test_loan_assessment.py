"""durable/loan_assessment on the durable testing runner: the callback driven by hand, as an external service
would (start async, wait for the callback, answer it), then the result, the task-token answer and the history."""

from __future__ import annotations

import json

import pytest
from aws_durable_execution_sdk_python.execution import InvocationStatus
from aws_durable_execution_sdk_python.lambda_service import ErrorObject

from domain.loan.models import BureauReport
from domain.loan.rules import FRAUD_CHECK_TIMEOUT_SECONDS, FRAUD_TIMEOUT_REASON
from durable.loan_assessment.handler import assess_for_the_workflow
from services.simulated.credit_bureaus import simulated_credit_report
from tests.durable.conftest import BureausDown, time_out_the_callback
from tests.waiting import DEADLINE

CHARLIE = {
    "application_id": "app-charlie",
    "applicant_name": "Charlie Wilson",
    "sin_last4": "3333",
    "annual_income": 70000.0,
    "loan_amount": 25000.0,
    "loan_purpose": "car",
}
BOB = {
    **CHARLIE,
    "application_id": "app-bob",
    "applicant_name": "Bob Martinez",
    "sin_last4": "2222",
    "loan_amount": 50000.0,
}
FRAUD_PASSED = {"passed": True, "risk_indicators": 0, "checked_by": "FraudCheckService-v2"}


def start(runner, application: dict) -> str:
    return runner.run_async(
        input=json.dumps({"task_token": "token-1", "application": application}),
        execution_timeout=36_000,  # modelled; the fixture runs it at 1/1000
    )


def answered_with(world) -> tuple[str, dict]:
    assert len(world.sfn_client.answers) == 1, "the task token must be answered exactly once"
    kind, token, payload = world.sfn_client.answers[0]
    assert token == "token-1"
    return kind, payload


def test_approved_after_the_fraud_service_answers(durable_runner, world):
    runner = durable_runner(world.handler(assess_for_the_workflow))
    arn = start(runner, CHARLIE)
    callback_id = runner.wait_for_callback(arn, name="fraud check create callback id", timeout=DEADLINE)

    # The fraud request went to the fraud service, asynchronously, with the callback id.
    [(function, invocation_type, payload)] = world.lambda_client.invocations
    assert (function, invocation_type, payload["callback_id"]) == ("loan-fraud-service", "Event", callback_id)

    runner.send_callback_success(callback_id, json.dumps(FRAUD_PASSED).encode())
    result = runner.wait_for_result(arn, timeout=DEADLINE)

    assert result.status is InvocationStatus.SUCCEEDED
    assessment = json.loads(result.result)
    assert assessment["decision"] == "approved"
    assert assessment["credit"]["risk_tier"]["name"] == "near-prime"
    assert assessment["fraud"] == FRAUD_PASSED
    assert answered_with(world) == ("success", assessment)
    assert [op.name for op in result.operations] == [
        "pull credit reports",
        "score credit",
        "fraud check",
        "record fraud outcome",
        "answer the workflow",
    ]
    assert [entry["entry_id"] for entry in world.progress.entries("app-charlie")] == [
        "credit-assessed",
        "fraud-requested",
        "fraud-checked",
    ]


def test_credit_denial_skips_the_fraud_check(durable_runner, world):
    runner = durable_runner(world.handler(assess_for_the_workflow))
    result = runner.wait_for_result(start(runner, BOB), timeout=DEADLINE)

    assessment = json.loads(result.result)
    assert assessment["decision"] == "denied"
    assert "credit score too low" in assessment["reason"]
    assert world.lambda_client.invocations == []
    assert answered_with(world) == ("success", assessment)


def test_fraud_service_failure_denies_with_its_reason(durable_runner, world):
    runner = durable_runner(world.handler(assess_for_the_workflow))
    arn = start(runner, CHARLIE)
    callback_id = runner.wait_for_callback(arn, name="fraud check create callback id", timeout=DEADLINE)
    runner.send_callback_failure(
        callback_id,
        ErrorObject(message="provider unreachable", type="FraudServiceUnavailable", data=None, stack_trace=None),
    )
    assessment = json.loads(runner.wait_for_result(arn, timeout=DEADLINE).result)

    assert assessment["decision"] == "denied"
    assert assessment["reason"] == "fraud check failed: provider unreachable"
    assert answered_with(world)[0] == "success"  # a denial is a business outcome, not a failure


def test_fraud_check_timeout_denies_after_five_modelled_minutes(durable_runner, world):
    runner = durable_runner(world.handler(assess_for_the_workflow))
    arn = start(runner, CHARLIE)
    callback_id = runner.wait_for_callback(arn, name="fraud check create callback id", timeout=DEADLINE)
    time_out_the_callback(runner, callback_id, FRAUD_CHECK_TIMEOUT_SECONDS)  # nobody answers it
    assessment = json.loads(runner.wait_for_result(arn, timeout=DEADLINE).result)

    assert assessment["decision"] == "denied"
    assert assessment["reason"] == FRAUD_TIMEOUT_REASON
    assert [
        entry["message"] for entry in world.progress.entries("app-charlie") if entry["entry_id"] == "fraud-checked"
    ] == [FRAUD_TIMEOUT_REASON]


class FailsOnce:
    """A bureau that is down for the first call, then answers."""

    def __init__(self, bureau: str) -> None:
        self.bureau, self.calls = bureau, 0

    def pull(self, bureau: str, sin_last4: str) -> BureauReport:
        if bureau == self.bureau:
            self.calls += 1
            if self.calls == 1:
                raise ConnectionError(f"{bureau} is unavailable")
        return simulated_credit_report(bureau, sin_last4)


def test_a_bureau_failing_once_is_retried_alone(durable_runner, world):
    world_bureaus = FailsOnce("transunion")

    world.use(bureaus=world_bureaus)
    runner = durable_runner(world.handler(assess_for_the_workflow))
    arn = start(runner, BOB)
    result = runner.wait_for_result(arn, timeout=DEADLINE)

    assert result.status is InvocationStatus.SUCCEEDED
    assert world_bureaus.calls == 2
    history = runner.get_execution_history(arn).events
    transunion = [event.event_type for event in history if event.name == "pull transunion report"]
    equifax = [event.event_type for event in history if event.name == "pull equifax report"]
    assert transunion[0] == "StepStarted" and transunion[-1] == "StepSucceeded"
    assert transunion.count("StepFailed") == 1  # the failed attempt is recorded, then retried
    assert equifax == ["StepStarted", "StepSucceeded"]  # the other bureaus ran once


def test_a_bureau_that_stays_down_fails_the_workflow_task(durable_runner, world):

    world.use(bureaus=BureausDown())
    runner = durable_runner(world.handler(assess_for_the_workflow))
    result = runner.wait_for_result(start(runner, CHARLIE), timeout=DEADLINE)

    assert result.status is InvocationStatus.FAILED
    kind, payload = answered_with(world)
    assert kind == "failure"
    assert payload["error"] == "CreditBureauUnavailable"


@pytest.mark.parametrize("answer_first", [True, False], ids=["service answers first", "invocation suspends first"])
def test_the_callback_works_in_either_order(durable_runner, world, answer_first):
    """An async service can answer before the invocation that created the callback has suspended."""

    runner = durable_runner(world.handler(assess_for_the_workflow))

    class AnsweringLambda:
        def invoke(self, FunctionName, InvocationType, Payload):  # noqa: N803
            callback_id = json.loads(Payload)["callback_id"]
            if answer_first:
                runner.send_callback_success(callback_id, json.dumps(FRAUD_PASSED).encode())
            else:
                pending.append(callback_id)
            return {"StatusCode": 202}

    pending: list[str] = []
    world.use(lambda_client=AnsweringLambda())
    arn = start(runner, CHARLIE)
    if not answer_first:
        runner.send_callback_success(
            runner.wait_for_callback(arn, name="fraud check create callback id", timeout=DEADLINE),
            json.dumps(FRAUD_PASSED).encode(),
        )
    assessment = json.loads(runner.wait_for_result(arn, timeout=DEADLINE).result)
    assert assessment["decision"] == "approved"
