"""The loan state machines on the local runtime, their Lambdas replaced by tests/statemachines/doubles.py.

Deployed like duoflow/stack.py deploys the real stack (same table with its "pending" index, same topics, every
state machine of catalog.state_machines.STATE_MACHINES), only the function catalog differs. ``stack`` runs the
hybrid (LOAN_HYBRID), ``sfn_stack`` the pure Step Functions variant (LOAN_SFN). One LocalRuntime per process:
the fixtures are module-scoped, always stopped, and a test module uses one of them. Modelled time runs at SCALE
(30 min → 1.8 s).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest

from catalog.state_machines import LOAN_HYBRID, LOAN_SFN, StateMachineSpec
from duoflow.runtime import LocalRuntime, ResourceRef, TimeControl
from duoflow.stack import local_stack
from tests.statemachines import doubles
from tests.waiting import wait_until

SCALE = 0.001
# Timeouts run ten times slower than waits: 5 modelled minutes for the fraud check are 3 s, so a loaded CI
# machine (the other worker running the parity tests) cannot time out a fraud double that did answer.
TIMEOUT_SCALE = 0.01
T = TypeVar("T")

APPLICANT_TOPIC = "applicant-notifications"
# The macro flow's tail, the same in both variants.
AUDIT = ["Notify Applicant", "Record Decision in Audit Trail", "Loan Approved?"]
TO_OFFER = ["Generate Loan Offer", "Disburse Funds"]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@dataclass
class LoanStack:
    runtime: LocalRuntime
    state_machine_arn: str
    definition: str

    @property
    def sfn(self) -> Any:
        return self.runtime.client("stepfunctions")

    @property
    def dynamodb(self) -> Any:
        return self.runtime.client("dynamodb")

    def topic_arn(self, name: str) -> str:
        return self.runtime.resources[("topic", name)]["arn"]


def _deployed(spec: StateMachineSpec, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoanStack]:
    assert LocalRuntime._current is None, "a LocalRuntime leaked from an earlier test module"
    doubles.reset()
    try:
        with local_stack(
            TimeControl.scaled(SCALE, timeouts=TIMEOUT_SCALE), tmp_path_factory.mktemp("state"), catalog=doubles.CATALOG
        ) as runtime:
            doubles.warm_up()
            arn = runtime.resolve(ResourceRef("state_machine", spec.name, "arn"))
            yield LoanStack(runtime, arn, spec.definition(runtime.resolve))
    finally:
        doubles.reset()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoanStack]:
    """The hybrid: statemachines/loan.asl.json."""
    yield from _deployed(LOAN_HYBRID, tmp_path_factory)


@pytest.fixture(scope="module")
def sfn_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoanStack]:
    """The pure Step Functions variant: statemachines/loan-sfn.asl.json."""
    yield from _deployed(LOAN_SFN, tmp_path_factory)


# --- running one application -----------------------------------------------------------------------------


def application(amount: float = 25_000, **overrides: Any) -> dict[str, Any]:
    """A fresh, well-formed application (its own id, so tests never share DynamoDB items or doubles' calls)."""
    return {
        "application_id": unique("app"),
        "applicant_name": "Alice Martin",
        "sin_last4": "1111",
        "annual_income": 120_000,
        "loan_amount": amount,
        "loan_purpose": "home renovation",
        **overrides,
    }


def start(stack: LoanStack, app: dict[str, Any]) -> str:
    return stack.sfn.start_execution(
        stateMachineArn=stack.state_machine_arn, name=unique(app["application_id"]), input=json.dumps(app)
    )["executionArn"]


def wait_done(stack: LoanStack, execution_arn: str, timeout: float = 45.0) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        description = stack.sfn.describe_execution(executionArn=execution_arn)
        return description if description["status"] != "RUNNING" else None

    return wait_until(done, timeout=timeout, what=f"execution {execution_arn} finishing")


def history(stack: LoanStack, execution_arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"executionArn": execution_arn}
    while True:
        page = stack.sfn.get_execution_history(**kwargs)
        events.extend(page["events"])
        if not page.get("nextToken"):
            return events
        kwargs["nextToken"] = page["nextToken"]


def states_entered(events: list[dict[str, Any]]) -> list[str]:
    return [e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")]


@dataclass
class Run:
    """Everything a test asserts about one finished execution."""

    description: dict[str, Any]
    events: list[dict[str, Any]]
    path: list[str]  # the states entered, in order

    @property
    def status(self) -> str:
        return self.description["status"]

    @property
    def terminal_state(self) -> str:
        return self.path[-1]

    @property
    def output(self) -> Any:
        return json.loads(self.description["output"]) if self.description.get("output") else None


def finish(stack: LoanStack, execution_arn: str, timeout: float = 45.0) -> Run:
    description = wait_done(stack, execution_arn, timeout)
    events = history(stack, execution_arn)
    return Run(description, events, states_entered(events))


def run(stack: LoanStack, app: dict[str, Any], timeout: float = 45.0) -> Run:
    return finish(stack, start(stack, app), timeout)


def time_out_the_waiting_task(
    stack: LoanStack, execution_arn: str, timeout_seconds: float, waiting_before: int
) -> None:
    """Advance modelled time over a waiting task's ``timeout_seconds`` (``LocalRuntime.advance_timeouts``) instead
    of sleeping through it, in two halves: after the first the execution is still running (the timeout is longer
    than half of it), the second makes the timeout due at once (it is not longer than the whole). ``waiting_before``:
    ``pending_timeouts()`` before the execution started (an earlier test's run may still be waiting)."""
    runtime = stack.runtime
    wait_until(lambda: runtime.pending_timeouts() == waiting_before + 1, what="the task waiting with its timeout")
    assert runtime.advance_timeouts(timeout_seconds / 2) == 0
    assert stack.sfn.describe_execution(executionArn=execution_arn)["status"] == "RUNNING"
    assert runtime.advance_timeouts(timeout_seconds / 2) == 1


# --- what the workflow left behind -------------------------------------------------------------------------


def item(stack: LoanStack, application_id: str, entry: str) -> dict[str, Any] | None:
    found = stack.dynamodb.get_item(
        TableName="loan-progress",
        Key={"application_id": {"S": application_id}, "entry": {"S": entry}},
        ConsistentRead=True,
    ).get("Item")
    if found is None:
        return None
    return {key: next(iter(value.values())) for key, value in found.items()}  # {"S": "x"} -> "x"


def published(stack: LoanStack, topic: str, application_id: str) -> list[tuple[str | None, Any]]:
    """(subject, message) of every SNS message on ``topic`` about the application (moto keeps them)."""
    from moto.sns.models import sns_backends

    arn = stack.topic_arn(topic)
    backend = sns_backends[stack.runtime.account_id][stack.runtime.region]
    sent = backend.topics[arn].sent_notifications
    return [(subject, json.loads(message)) for _id, message, subject, *_ in sent if application_id in message]


# --- what both variants assert about a decision or a failure ----------------------------------------------


def assert_decision_recorded(stack: LoanStack, app_id: str, outcome: str, reason: str) -> None:
    """STATUS carries the outcome, the LOG#decision entry exists, no APPROVAL is left pending, and the
    applicant was sent the decision."""
    status = item(stack, app_id, "STATUS")
    assert status is not None
    assert (status["status"], status["outcome"], status["reason"]) == (outcome, outcome, reason)
    assert json.loads(status["outcome_json"])["outcome"] == outcome

    decision = item(stack, app_id, "LOG#decision")
    assert decision is not None
    assert decision["message"] == f"{outcome}: {reason}"
    assert (decision["step"], decision["actor"], decision["level"]) == ("decision", "workflow", "info")

    assert item(stack, app_id, "APPROVAL") is None

    messages = published(stack, APPLICANT_TOPIC, app_id)
    assert len(messages) == 1, messages
    subject, message = messages[0]
    assert subject == f"Your loan application {app_id} was {outcome}"
    assert (message["application_id"], message["outcome"], message["reason"]) == (app_id, outcome, reason)


def assert_processing_failed(stack: LoanStack, result: Run, app_id: str, error: str) -> str:
    """The execution failed in "Loan Processing Failed" under its one alarm name, the original error opens the
    cause, STATUS says "failed" naming the error, and no decision was recorded or sent. Returns the rest of
    the cause (after "<error>: ")."""
    assert result.status == "FAILED"
    assert result.terminal_state == "Loan Processing Failed"
    assert result.path[-2] == "Record Processing Failure"
    assert result.description["error"] == "LoanProcessingFailed"
    cause = result.description["cause"]
    assert cause.startswith(f"{error}: "), cause
    status = item(stack, app_id, "STATUS")
    assert status is not None
    assert status["status"] == "failed"
    assert status["reason"] == f"processing failed: {error} (the execution history has the cause)"
    assert "outcome" not in status
    assert item(stack, app_id, "LOG#decision") is None
    assert published(stack, APPLICANT_TOPIC, app_id) == []
    return cause[len(error) + 2 :]
