"""durable/loan_workflow (the pure durable variant) on the durable testing runner: the canonical demo cases end
as the hybrid state machine ends them — same outcome, reason, offer, disbursement, applicant message and
audit trail — with the fraud service and the manager answered by hand, as they would answer."""

from __future__ import annotations

import json
from typing import Any

from aws_durable_execution_sdk_python.execution import InvocationStatus

from catalog.functions import FUNCTIONS
from domain.loan.models import Disbursement, LoanApplication, ManagerDecision
from domain.loan.rules import (
    BUREAUS,
    MANAGER_APPROVAL_TIMEOUT_SECONDS,
    NO_MANAGER_DECISION_REASON,
    assess_credit,
    generate_offer,
    manager_reason,
)
from duoflow.scenarios import loan_cases
from durable.loan_workflow import handler as workflow
from durable.loan_workflow.handler import run_loan_workflow
from durable.wiring import durable_handler
from services.common.log import at
from services.common.notifier import applicant_subject
from services.loan import manager_approval
from services.simulated.credit_bureaus import simulated_credit_report
from services.simulated.loan_fraud_service import screen_for_fraud
from tests.durable.conftest import BureausDown, time_out_the_callback
from tests.logs import captured_logs
from tests.waiting import DEADLINE, wait_until

# The function's own execution timeout (scaled like every timeout here): it must outlast the waits inside it.
EXECUTION_TIMEOUT = FUNCTIONS["loan-workflow"].durable_execution_timeout_seconds
CASES = {case.case: case for case in loan_cases()}
FRAUD_CALLBACK = "fraud check create callback id"
MANAGER_CALLBACK = "manager approval create callback id"
DECLINED = ManagerDecision(approved=False, manager="Dana Lee", comment="income too recent to rely on")

# The audit trail every variant writes for these cases (the scenario files hold it).
CHARLIE_LOG = loan_cases(["charlie"])[0].expected["audit_trail"]
ALICE_APPROVED_LOG = loan_cases(["alice"])[0].expected["audit_trail"]


def application(case: str) -> dict[str, Any]:
    return {**CASES[case].application, "application_id": f"app-{case}"}


def start(runner, loan: dict[str, Any]) -> str:
    return runner.run_async(input=json.dumps(loan), execution_timeout=EXECUTION_TIMEOUT)


def fraud_service_answers(runner, arn: str, loan: dict[str, Any]) -> None:
    """What the external fraud service concludes, sent to the callback id it was given."""
    callback_id = runner.wait_for_callback(arn, name=FRAUD_CALLBACK, timeout=DEADLINE)
    verdict = screen_for_fraud(LoanApplication.model_validate(loan)).model_dump(mode="json")
    runner.send_callback_success(callback_id, json.dumps(verdict).encode())


class ApiAnswersTheRunner:
    """The Lambda client of the API's POST /approve (services/loan/manager_approval.py), wired to the runner:
    a manager's answer to a durable callback reaches the waiting execution."""

    def __init__(self, runner, recording) -> None:
        self._runner, self._recording = runner, recording

    def invoke(self, **request: Any) -> dict[str, Any]:
        return self._recording.invoke(**request)

    def send_durable_execution_callback_success(self, CallbackId: str, Result: bytes) -> dict:  # noqa: N803
        self._runner.send_callback_success(CallbackId, Result)
        return {}


def manager_answers(runner, world, arn: str, application_id: str, decision: ManagerDecision) -> None:
    """A manager answers through the API's code, which finds the pending approval and its callback id."""
    callback_id = runner.wait_for_callback(arn, name=MANAGER_CALLBACK, timeout=DEADLINE)
    pending = wait_until(lambda: world.progress.pending_approval(application_id), what="the pending approval")
    assert pending["callback_id"] == callback_id
    assert "task_token" not in pending
    manager_approval.answer_manager_approval(world.adapters, application_id, decision)


def expected_offer(loan: dict[str, Any]) -> dict[str, Any]:
    applicant = LoanApplication.model_validate(loan)
    credit = assess_credit(applicant, [simulated_credit_report(bureau, applicant.sin_last4) for bureau in BUREAUS])
    return generate_offer(applicant, credit.risk_tier).model_dump(mode="json")


def assert_decided(world, outcome: dict[str, Any]) -> None:
    """The applicant was told once, and the decision is the application's status and its audit trail's last
    entry, as the state machine's "Notify Applicant" and "Record Decision in Audit Trail" leave them."""
    assert world.applicant_notifier.sent == [(applicant_subject(outcome), outcome)]
    status = world.progress.status(outcome["application_id"])
    assert (status["status"], status["outcome"], status["reason"]) == (
        outcome["outcome"],
        outcome["outcome"],
        outcome["reason"],
    )
    assert json.loads(status["outcome_json"]) == outcome
    entries = world.progress.entries(outcome["application_id"])
    assert [entry["message"] for entry in entries if entry["entry_id"] == "decision"] == [
        f"{outcome['outcome']}: {outcome['reason']}"
    ]
    assert world.progress.pending_approval(outcome["application_id"]) is None


def log_of(world, application_id: str) -> list[str]:
    return [entry["entry_id"] for entry in world.progress.entries(application_id)]


def test_charlie_is_approved_paid_once_notified_and_recorded(durable_runner, world):
    runner, loan = durable_runner(world.handler(run_loan_workflow)), application("charlie")
    arn = start(runner, loan)
    fraud_service_answers(runner, arn, loan)
    result = runner.wait_for_result(arn, timeout=DEADLINE)

    assert result.status is InvocationStatus.SUCCEEDED
    outcome = json.loads(result.result)
    assert outcome == {
        "application_id": "app-charlie",
        "outcome": "approved",
        "reason": CASES["charlie"].expected["reason"],
        "offer": expected_offer(loan),
        "disbursement_reference": outcome["disbursement_reference"],
    }
    assert outcome["disbursement_reference"].startswith("DSB-")
    assert_decided(world, outcome)
    assert log_of(world, "app-charlie") == CHARLIE_LOG
    [(function, invocation_type, request)] = world.lambda_client.invocations
    assert (function, invocation_type) == ("loan-fraud-service", "Event") and "callback_id" in request
    assert world.manager_notifier.sent == []
    # The durable history reads like the business process.
    assert [operation.name for operation in result.operations] == [
        "record application",
        "pull credit reports",
        "score credit",
        "fraud check",
        "record fraud outcome",
        "generate loan offer",
        "disburse funds",
        "notify applicant",
        "record decision in audit trail",
    ]


def test_bob_is_denied_on_credit_without_fraud_check_or_manager(durable_runner, world):
    runner = durable_runner(world.handler(run_loan_workflow))
    result = runner.wait_for_result(start(runner, application("bob")), timeout=DEADLINE)

    outcome = json.loads(result.result)
    assert outcome == {"application_id": "app-bob", "outcome": "denied", "reason": CASES["bob"].expected["reason"]}
    assert_decided(world, outcome)
    assert log_of(world, "app-bob") == ["received", "credit-assessed", "decision"]
    assert world.lambda_client.invocations == []  # no fraud request
    assert world.manager_notifier.sent == []


def test_alice_is_approved_with_the_managers_reason(durable_runner, world):
    runner, loan = durable_runner(world.handler(run_loan_workflow)), application("alice")
    world.use(lambda_client=ApiAnswersTheRunner(runner, world.lambda_client))
    arn = start(runner, loan)
    fraud_service_answers(runner, arn, loan)
    decision = ManagerDecision.model_validate(CASES["alice"].manager)
    manager_answers(runner, world, arn, "app-alice", decision)
    result = runner.wait_for_result(arn, timeout=DEADLINE)

    assert result.status is InvocationStatus.SUCCEEDED
    outcome = json.loads(result.result)
    assert (outcome["outcome"], outcome["reason"]) == ("approved", CASES["alice"].expected["reason"])
    assert outcome["offer"] == expected_offer(loan)
    assert outcome["disbursement_reference"].startswith("DSB-")
    assert_decided(world, outcome)
    assert log_of(world, "app-alice") == ALICE_APPROVED_LOG
    [(subject, _)] = world.manager_notifier.sent
    assert subject == "Approval needed: Alice Johnson, $150,000"


def test_alice_declined_by_the_manager_is_denied_with_the_managers_reason(durable_runner, world):
    runner, loan = durable_runner(world.handler(run_loan_workflow)), application("alice")
    world.use(lambda_client=ApiAnswersTheRunner(runner, world.lambda_client))
    arn = start(runner, loan)
    fraud_service_answers(runner, arn, loan)
    manager_answers(runner, world, arn, "app-alice", DECLINED)
    outcome = json.loads(runner.wait_for_result(arn, timeout=DEADLINE).result)

    assert outcome == {"application_id": "app-alice", "outcome": "denied", "reason": manager_reason(DECLINED)}
    assert_decided(world, outcome)
    assert "offer" not in log_of(world, "app-alice") and "disbursed" not in log_of(world, "app-alice")


def test_alice_is_denied_when_no_manager_answers_in_thirty_modelled_minutes(durable_runner, world):
    runner, loan = durable_runner(world.handler(run_loan_workflow)), application("alice")
    arn = start(runner, loan)
    fraud_service_answers(runner, arn, loan)
    callback_id = runner.wait_for_callback(arn, name=MANAGER_CALLBACK, timeout=DEADLINE)
    time_out_the_callback(runner, callback_id, MANAGER_APPROVAL_TIMEOUT_SECONDS)  # nobody answers in 30 minutes
    result = runner.wait_for_result(arn, timeout=DEADLINE)

    assert result.status is InvocationStatus.SUCCEEDED
    outcome = json.loads(result.result)
    assert outcome == {"application_id": "app-alice", "outcome": "denied", "reason": NO_MANAGER_DECISION_REASON}
    assert_decided(world, outcome)  # the request is withdrawn from the managers' list too
    assert "disbursed" not in log_of(world, "app-alice")


def test_an_invalid_application_fails_the_execution_and_nothing_else_happens(durable_runner, world):
    runner = durable_runner(world.handler(run_loan_workflow))
    result = runner.wait_for_result(start(runner, {**application("charlie"), "loan_amount": -5}), timeout=DEADLINE)

    assert result.status is InvocationStatus.FAILED
    assert result.error.type.rpartition(".")[2] == "ApplicationInvalid"
    assert result.error.message == "loan_amount: must be greater than 0"
    assert [operation.name for operation in result.operations] == ["record application"]
    assert world.progress.status("app-charlie") is None and world.progress.entries("app-charlie") == []
    assert world.lambda_client.invocations == [] and world.applicant_notifier.sent == []


def test_a_bureau_that_stays_down_marks_the_application_failed_and_fails_the_execution(durable_runner, world):
    world.use(bureaus=BureausDown())
    runner = durable_runner(world.handler(run_loan_workflow))
    result = runner.wait_for_result(start(runner, application("charlie")), timeout=DEADLINE)

    assert result.status is InvocationStatus.FAILED
    assert result.error.type.rpartition(".")[2] == "CreditBureauUnavailable"
    status = world.progress.status("app-charlie")
    assert status["status"] == "failed"
    assert status["reason"] == "processing failed: CreditBureauUnavailable (the execution history has the cause)"
    assert log_of(world, "app-charlie") == ["received"]  # no decision: a failure is not a business outcome
    assert world.applicant_notifier.sent == []
    assert [operation.name for operation in result.operations][-1] == "record processing failure"


def test_a_step_that_keeps_failing_is_named_by_its_own_error(durable_runner, world, monkeypatch):
    """The SDK wraps a step's failure in StepError; the status names the error raised inside, as the state
    machine's Catch would, and nothing is paid out."""

    def offer_service_down(*args: Any) -> None:
        raise ConnectionError("the offer service is unavailable")

    monkeypatch.setattr(workflow, "make_offer", offer_service_down)
    runner, loan = durable_runner(world.handler(run_loan_workflow)), application("charlie")
    arn = start(runner, loan)
    fraud_service_answers(runner, arn, loan)
    result = runner.wait_for_result(arn, timeout=DEADLINE)

    assert result.status is InvocationStatus.FAILED
    assert world.progress.status("app-charlie")["reason"] == (
        "processing failed: ConnectionError (the execution history has the cause)"
    )
    assert "disbursed" not in log_of(world, "app-charlie") and world.applicant_notifier.sent == []


def fails_once(notify):
    """The notifier, failing on its first message (SNS unavailable), then sending."""
    calls: list[str] = []

    def flaky(subject: str, message: dict[str, Any]) -> None:
        calls.append(subject)
        if len(calls) == 1:
            raise ConnectionError("SNS is unavailable")
        notify(subject, message)

    return flaky


def test_disbursement_happens_once_although_the_handler_replays(durable_runner, world, monkeypatch):
    """The notification fails once after the payout; its retry resumes the function, which replays from the
    top: the disbursement step returns its checkpointed result instead of paying again."""
    payouts: list[bool] = []
    payouts_when_the_handler_ran: list[int] = []

    def counted_disburse(*args: Any) -> Disbursement:
        paid = workflow_disburse(*args)
        payouts.append(paid.paid_now)
        return paid

    def counted_decide(*args: Any):
        payouts_when_the_handler_ran.append(len(payouts))
        return workflow_decide(*args)

    workflow_disburse, workflow_decide = workflow.disburse, workflow.decide_application
    monkeypatch.setattr(workflow, "disburse", counted_disburse)
    monkeypatch.setattr(workflow, "decide_application", counted_decide)
    world.applicant_notifier.notify = fails_once(world.applicant_notifier.notify)

    runner, loan = durable_runner(world.handler(run_loan_workflow)), application("charlie")
    arn = start(runner, loan)
    fraud_service_answers(runner, arn, loan)
    result = runner.wait_for_result(arn, timeout=DEADLINE)

    assert result.status is InvocationStatus.SUCCEEDED
    assert payouts_when_the_handler_ran[-1] == 1  # the last run replayed the flow after the payout
    assert payouts == [True]
    assert log_of(world, "app-charlie").count("disbursed") == 1
    assert_decided(world, json.loads(result.result))


def test_a_payout_retried_after_a_crash_pays_once(durable_runner, world):
    """The step crashes after the audit trail write, before its result is checkpointed; the retry finds the
    "disbursed" entry and pays nothing more, and the outcome keeps the one reference."""
    writes: list[bool] = []
    record = world.progress.record

    def crashes_after_the_payout(application_id, entry):
        added = record(application_id, entry)
        if entry.entry_id == "disbursed":
            writes.append(added)
            if len(writes) == 1:
                raise ConnectionError("the ledger's answer was lost")
        return added

    world.progress.record = crashes_after_the_payout
    runner, loan = durable_runner(world.handler(run_loan_workflow)), application("charlie")
    arn = start(runner, loan)
    fraud_service_answers(runner, arn, loan)
    result = runner.wait_for_result(arn, timeout=DEADLINE)

    assert result.status is InvocationStatus.SUCCEEDED
    assert writes == [True, False]  # paid on the first attempt only
    assert log_of(world, "app-charlie").count("disbursed") == 1
    assert json.loads(result.result)["disbursement_reference"].startswith("DSB-")


def test_charlie_above_his_limit_is_denied_on_credit(durable_runner, world):
    runner = durable_runner(world.handler(run_loan_workflow))
    outcome = json.loads(runner.wait_for_result(start(runner, application("charlie-30k")), timeout=DEADLINE).result)

    assert (outcome["outcome"], outcome["reason"]) == ("denied", CASES["charlie-30k"].expected["reason"])
    assert_decided(world, outcome)


def test_a_replayed_flow_logs_each_line_once_keyed_by_the_application(durable_runner, world):
    """The flow suspends twice (the fraud check, the manager) and each resume replays it from the top: its logger is
    the durable context's (Powertools plugged in), which drops what a replay logs again."""
    flow = durable_handler(run_loan_workflow, at("application_id"), adapters=lambda: world.adapters)
    invocations: list[int] = []

    def counted(event, context):
        invocations.append(1)
        return flow(event, context)

    runner, loan = durable_runner(counted), application("alice")
    world.use(lambda_client=ApiAnswersTheRunner(runner, world.lambda_client))
    with captured_logs() as lines:
        arn = start(runner, loan)
        fraud_service_answers(runner, arn, loan)
        manager_answers(runner, world, arn, "app-alice", ManagerDecision.model_validate(CASES["alice"].manager))
        assert runner.wait_for_result(arn, timeout=DEADLINE).status is InvocationStatus.SUCCEEDED

    assert len(invocations) >= 3  # started, resumed after the fraud answer, resumed after the manager's
    messages = [line["message"] for line in lines]
    assert messages.count("flow started") == 1 and messages.count("flow finished") == 1
    assert {line["correlation_id"] for line in lines} == {"app-alice"}
    assert all(line["executionArn"] for line in lines)
