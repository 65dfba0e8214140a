"""The training flows on the durable testing runner (durable/training_workflow, which reuses
durable/training_screening and durable/training_enrollment): HR approve / reject / timeout, the saga's compensation,
and compensations exactly once when the execution replays. Side effects go to in-memory fakes; the scorer is a
double that returns the score a test needs."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from aws_durable_execution_sdk_python.execution import InvocationStatus
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner
from aws_durable_execution_sdk_python_testing import runner as runner_module
from aws_durable_execution_sdk_python_testing.exceptions import ResourceNotFoundException
from botocore.exceptions import ClientError

from catalog.functions import FUNCTIONS
from domain.training.models import HrDecision, Screening
from domain.training.rules import HR_REVIEW_TIMEOUT_SECONDS, NO_HR_DECISION_REASON, hr_reason, screening_reason
from duoflow.runtime.time_control import ScaledScheduler, TimeControl
from duoflow.scenarios import training_cases
from durable.training_enrollment.handler import enroll_for_the_workflow
from durable.training_screening.handler import screen_for_the_workflow
from durable.training_workflow.handler import run_training_workflow
from durable.wiring import Flow, durable_handler
from services.common import bootstrap
from services.common.notifier import InMemoryNotifier
from services.simulated.training_providers import EnrollmentRefused, EnrollmentServices
from services.training import hr_review as review
from services.training.audit import InMemoryTrainingLog
from services.training.result import employee_subject
from tests.durable.conftest import RecordingStepFunctions, time_out_the_callback
from tests.waiting import DEADLINE, wait_until

EXECUTION_TIMEOUT = FUNCTIONS["training-workflow"].durable_execution_timeout_seconds
HR_CALLBACK = "HR review create callback id"
CASES = {case.case: case for case in training_cases()}


class FixedScorer:
    def __init__(self, score: int) -> None:
        self.score_value, self.calls = score, 0

    def score(self, request) -> Screening:
        self.calls += 1
        return Screening(score=self.score_value, rationale=f"scored {self.score_value}", model_id="test-double")


class Counterparts:
    """Budget, provider and calendar that count what they did; ``fail`` = {method: how many first calls raise
    ConnectionError} ("always" for every call); a provider in ``full`` refuses the booking."""

    def __init__(self, full: bool = False, fail: dict[str, Any] | None = None) -> None:
        self.calls: Counter[str] = Counter()
        self.full, self.fail = full, dict(fail or {})
        self.services = EnrollmentServices(budget=self, provider=_Provider(self), calendar=_Calendar(self))

    def act(self, method: str, reference: str) -> str:
        self.calls[method] += 1
        if self.fail.get(method) == "always" or self.calls[method] <= self.fail.get(method, 0):
            raise ConnectionError(f"{method} did not answer")
        return reference

    def reserve(self, request) -> str:
        return self.act("reserve", "BUD-1")

    def release(self, request, reference: str) -> None:
        self.act("release", reference)


class _Provider:
    def __init__(self, parent: Counterparts) -> None:
        self.parent = parent

    def book(self, request) -> str:
        if self.parent.full:
            self.parent.calls["book"] += 1
            raise EnrollmentRefused(f"{request.provider} has no seat left on {request.training_title}")
        return self.parent.act("book", "SEAT-1")

    def cancel(self, request, reference: str) -> None:
        self.parent.act("cancel", reference)


class _Calendar:
    def __init__(self, parent: Counterparts) -> None:
        self.parent = parent

    def add(self, request) -> str:
        return self.parent.act("add", "CAL-1")

    def remove(self, request, reference: str) -> None:
        self.parent.act("remove", reference)


class FakeS3:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}

    def put_object(self, Bucket: str, Key: str, Body: bytes, **_: Any) -> dict:  # noqa: N803
        self.objects[(Bucket, Key)] = Body
        return {}


class World:
    def __init__(self, score: int, counterparts: Counterparts) -> None:
        self.training = InMemoryTrainingLog()
        self.scorer = FixedScorer(score)
        self.counterparts = counterparts
        self.s3 = FakeS3()
        self.employee_notifier, self.hr_notifier = InMemoryNotifier(), InMemoryNotifier()
        self.sfn_client = RecordingStepFunctions()
        self.runner: DurableFunctionTestRunner | None = None
        self.adapters = bootstrap.bootstrap(
            lambda_client=self,
            sfn_client=self.sfn_client,
            training=self.training,
            employee_notifier=self.employee_notifier,
            hr_notifier=self.hr_notifier,
            scorer=self.scorer,
            enrollment=self.counterparts.services,
            s3_client=self.s3,
        )

    def handler(self, flow: Flow):
        """The durable handler of ``flow``, wired to this world's adapters."""
        return durable_handler(flow, adapters=lambda: self.adapters)

    # the Lambda client of the API's POST /reviews, wired to the runner
    def send_durable_execution_callback_success(self, CallbackId: str, Result: bytes) -> dict:  # noqa: N803
        try:
            self.runner.send_callback_success(CallbackId, Result)
        except ResourceNotFoundException as error:  # what boto3 raises when the Lambda API says so
            raise ClientError(
                {"Error": {"Code": "ResourceNotFoundException", "Message": str(error)}}, "Send"
            ) from error
        return {}


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch):
    made: list[World] = []

    def make(score: int, counterparts: Counterparts | None = None) -> World:
        fake = World(score, counterparts or Counterparts())
        monkeypatch.setenv("RESULTS_BUCKET", "training-results")
        made.append(fake)
        return fake

    yield make


@pytest.fixture
def runner_at(monkeypatch: pytest.MonkeyPatch) -> Iterator:
    """``runner_at(fake.handler(run_training_workflow))``: the SDK's runner, waits skipped, timeouts at 1/1000 (or
    advanced: time_out_the_callback); ``invocations`` counts how often the handler ran (each run after the first
    replays)."""
    runners: list[DurableFunctionTestRunner] = []

    def make(durable_handler):
        monkeypatch.setattr(runner_module, "Scheduler", lambda: ScaledScheduler(TimeControl.scaled(0.001)))
        counted = {"invocations": 0}

        def counting(event, context):
            counted["invocations"] += 1
            return durable_handler(event, context)

        runner = DurableFunctionTestRunner(handler=counting, skip_time=True, poll_interval=0.01)
        runner.invocations = counted
        runners.append(runner)
        return runner

    yield make
    for runner in runners:
        runner.close()


def upload_event(case: str = "senior-developer", request_id: str = "req-1", **document: Any) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "document": {**CASES[case].request, **document},
        "source": {"bucket": "training-requests", "key": f"requests/{request_id}.json"},
    }


def run(runner, event: dict[str, Any], execution_timeout: int = EXECUTION_TIMEOUT) -> str:
    return runner.run_async(input=json.dumps(event), execution_timeout=execution_timeout)


def finished(runner, arn: str) -> dict[str, Any]:
    result = runner.wait_for_result(arn, timeout=DEADLINE)
    assert result.status is InvocationStatus.SUCCEEDED, result.error
    return json.loads(result.result)


def log_of(world: World, request_id: str = "req-1") -> list[str]:
    return [entry["entry_id"] for entry in world.training.entries(request_id)]


def assert_decided(world: World, outcome: dict[str, Any]) -> None:
    """Result file, employee message and audit trail, as the state machines leave them."""
    assert json.loads(world.s3.objects[("training-results", f"{outcome['request_id']}.json")]) == outcome
    assert world.employee_notifier.sent == [(employee_subject(outcome), outcome)]
    status = world.training.status(outcome["request_id"])
    assert (status["status"], status["reason"]) == (outcome["outcome"], outcome["reason"])
    assert world.training.pending_review(outcome["request_id"]) is None


def hr_answers(runner, world: World, arn: str, decision: HrDecision) -> None:
    """An HR reviewer answers through the API's code, which finds the pending review and its callback id."""
    callback_id = runner.wait_for_callback(arn, name=HR_CALLBACK, timeout=DEADLINE)
    pending = wait_until(lambda: world.training.pending_review("req-1"), what="the pending review")
    assert pending["callback_id"] == callback_id and pending["score"] == world.scorer.score_value
    review.answer_hr_review(world.adapters, "req-1", decision)


# --- automatic decisions ---------------------------------------------------------------------------------------


def test_a_high_score_is_approved_enrolled_and_recorded(runner_at, world):
    fake = world(90)
    runner = runner_at(fake.handler(run_training_workflow))
    outcome = finished(runner, run(runner, upload_event()))

    assert (outcome["decision"], outcome["outcome"], outcome["reason"]) == (
        "approved",
        "approved",
        screening_reason("approve"),
    )
    assert outcome["enrollment"]["completed"] == ["reserve budget", "book seat", "add to calendar"]
    assert log_of(fake) == CASES["senior-developer"].expected["audit_trail"]
    assert_decided(fake, outcome)
    assert fake.counterparts.calls == Counter(reserve=1, book=1, add=1)


def test_a_low_score_is_rejected_without_enrollment(runner_at, world):
    fake = world(12)
    runner = runner_at(fake.handler(run_training_workflow))
    outcome = finished(runner, run(runner, upload_event("driver")))

    assert (outcome["outcome"], outcome["reason"], outcome["enrollment"]) == (
        "rejected",
        screening_reason("reject"),
        None,
    )
    assert log_of(fake) == CASES["driver"].expected["audit_trail"]
    assert_decided(fake, outcome)
    assert fake.counterparts.calls == Counter()


def test_an_invalid_request_fails_before_anything_happens(runner_at, world):
    fake = world(90)
    runner = runner_at(fake.handler(run_training_workflow))
    result = runner.wait_for_result(run(runner, upload_event(cost=-1)), timeout=DEADLINE)

    assert result.status is InvocationStatus.FAILED
    assert "cost: must be greater than 0" in str(result.error)
    assert fake.scorer.calls == 0 and fake.s3.objects == {}


# --- HR review -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("approved", [True, False], ids=["approve", "reject"])
def test_hr_decides_a_middle_score(runner_at, world, approved):
    fake = world(60)
    runner = runner_at(fake.handler(run_training_workflow))
    fake.runner = runner
    arn = run(runner, upload_event("marketing-specialist"))
    decision = HrDecision(approved=approved, reviewer="Priya Shah", comment="see plan")
    hr_answers(runner, fake, arn, decision)
    outcome = finished(runner, arn)

    assert outcome["reason"] == hr_reason(approved, "Priya Shah", "see plan")
    assert (outcome["reviewer"], outcome["comment"]) == ("Priya Shah", "see plan")
    assert outcome["outcome"] == ("approved" if approved else "rejected")
    expected_log = CASES["marketing-specialist"].expected["audit_trail"]
    assert log_of(fake) == (
        expected_log
        if approved
        else ["received", "screened", "hr-review-requested", "hr-decision", "result-written", "decision"]
    )
    assert fake.hr_notifier.sent[0][1]["score"] == 60
    assert_decided(fake, outcome)


def test_no_hr_answer_in_72_hours_rejects(runner_at, world):
    fake = world(75)
    runner = runner_at(fake.handler(run_training_workflow))
    arn = run(runner, upload_event("marketing-specialist"))
    callback_id = runner.wait_for_callback(arn, name=HR_CALLBACK, timeout=DEADLINE)
    time_out_the_callback(runner, callback_id, HR_REVIEW_TIMEOUT_SECONDS)  # nobody answers in 72 hours
    outcome = finished(runner, arn)

    assert (outcome["outcome"], outcome["reason"]) == ("rejected", NO_HR_DECISION_REASON)
    assert log_of(fake) == ["received", "screened", "hr-review-requested", "result-written", "decision"]
    assert_decided(fake, outcome)  # the review is withdrawn from HR's list


def test_an_answer_after_the_timeout_is_refused(runner_at, world):
    fake = world(75)
    runner = runner_at(fake.handler(run_training_workflow))
    fake.runner = runner
    arn = run(runner, upload_event("marketing-specialist"))
    callback_id = runner.wait_for_callback(arn, name=HR_CALLBACK, timeout=DEADLINE)
    time_out_the_callback(runner, callback_id, HR_REVIEW_TIMEOUT_SECONDS)
    finished(runner, arn)
    # The review was withdrawn when the decision was recorded: nothing is pending any more.
    fake.training.put_pending_review("req-1", {"callback_id": callback_id})  # a stale entry, as a race could leave
    with pytest.raises(review.ReviewNoLongerPending):
        review.answer_hr_review(fake.adapters, "req-1", HrDecision(approved=True, reviewer="Late Larry"))
    assert "hr-decision-too-late" in log_of(fake)


# --- the enrollment saga -----------------------------------------------------------------------------------------


def test_a_full_provider_undoes_the_budget_reservation(runner_at, world):
    fake = world(95, Counterparts(full=True))
    runner = runner_at(fake.handler(run_training_workflow))
    outcome = finished(runner, run(runner, upload_event("provider-full")))

    assert outcome["outcome"] == "enrollment-failed"
    assert outcome["enrollment"] == {
        "status": "failed",
        "completed": ["reserve budget"],
        "compensated": ["release budget"],
        "failed_step": "book seat",
        "error": "Sold Out Academy has no seat left on Apache Spark for Data Engineers",
        "references": {"reserve budget": "BUD-1"},
    }
    assert outcome["reason"] == CASES["provider-full"].expected["reason"]
    assert log_of(fake) == CASES["provider-full"].expected["audit_trail"]
    assert fake.counterparts.calls == Counter(reserve=1, book=1, release=1)


def test_compensations_run_exactly_once_although_the_execution_replays(runner_at, world):
    # The calendar never answers (3 attempts, each retry a new invocation that replays the steps before it); then
    # the seat is cancelled and the budget released, the release itself failing once and retried.
    fake = world(95, Counterparts(fail={"add": "always", "release": 1}))
    runner = runner_at(fake.handler(run_training_workflow))
    outcome = finished(runner, run(runner, upload_event()))

    assert runner.invocations["invocations"] > 3  # the flow was replayed from the top several times
    assert outcome["enrollment"]["completed"] == ["reserve budget", "book seat"]
    assert outcome["enrollment"]["compensated"] == ["cancel seat", "release budget"]
    assert outcome["enrollment"]["failed_step"] == "add to calendar"
    # Each forward step once, the calendar 3 times (its retries), each compensation once (the release's retry
    # after its failed first call is the second call: the budget was released once).
    assert fake.counterparts.calls == Counter(reserve=1, book=1, add=3, cancel=1, release=2)
    assert log_of(fake).count("seat-cancelled") == log_of(fake).count("budget-released") == 1
    undone = log_of(fake)
    assert undone.index("seat-cancelled") < undone.index("budget-released")  # reverse order


# --- the hybrid's micro flows answer the task token ------------------------------------------------------------


def test_the_screening_micro_flow_answers_the_task_token(runner_at, world):
    fake = world(64)
    runner = runner_at(fake.handler(screen_for_the_workflow))
    request = {"request_id": "req-1", **CASES["marketing-specialist"].request}
    finished(
        runner, runner.run_async(input=json.dumps({"task_token": "T1", "request": request}), execution_timeout=900)
    )

    [(kind, token, answer)] = fake.sfn_client.answers
    assert (kind, token, answer["score"], answer["band"]) == ("success", "T1", 64, "review")


def test_the_enrollment_micro_flow_answers_a_failed_saga_as_an_outcome(runner_at, world):
    fake = world(95, Counterparts(full=True))
    runner = runner_at(fake.handler(enroll_for_the_workflow))
    request = {"request_id": "req-1", **CASES["provider-full"].request}
    finished(
        runner, runner.run_async(input=json.dumps({"task_token": "T2", "request": request}), execution_timeout=900)
    )

    [(kind, token, answer)] = fake.sfn_client.answers
    assert (kind, token, answer["status"], answer["compensated"]) == ("success", "T2", "failed", ["release budget"])
