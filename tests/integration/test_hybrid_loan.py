"""The hybrid loan end to end: API → state machine → durable assessment → fraud service callback → manager
approval → offer, disbursement, notification and audit trail, for every demo case."""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid

import pytest

from domain.loan.models import LoanApplication
from domain.loan.rules import BUREAUS, NO_MANAGER_DECISION_REASON, assess_credit, generate_offer
from duoflow import demo
from duoflow.demo import RunWatch, run_loan_case
from duoflow.metrics import durable_history
from duoflow.runtime import ResourceRef
from duoflow.scenarios import loan_cases
from duoflow.variants import LOAN_VARIANTS
from services.simulated.credit_bureaus import simulated_credit_report


@pytest.mark.parametrize("case", loan_cases(), ids=lambda case: case.case)
def test_every_demo_case_ends_as_the_scenario_says(runtime, api, case):
    result = run_loan_case(runtime, case, "hybrid")

    assert (result.outcome, result.reason) == (case.expected["outcome"], case.expected["reason"])
    status = api.get(f"/status/{result.id}").body
    assert status["status"] == case.expected["outcome"]
    assert status["awaiting_manager"] is False

    # The progress log / audit trail: each entry once, in order, although the durable function replayed.
    assert [entry["entry_id"] for entry in status["log"]] == case.expected["audit_trail"]
    assert status["log"][-1]["message"] == f"{case.expected['outcome']}: {case.expected['reason']}"

    if case.expected["outcome"] == "approved":
        application = LoanApplication.model_validate({**case.application, "application_id": result.id})
        credit = assess_credit(
            application, [simulated_credit_report(bureau, application.sin_last4) for bureau in BUREAUS]
        )
        assert status["offer"] == generate_offer(application, credit.risk_tier).model_dump(mode="json")
        assert status["disbursement_reference"].startswith("DSB-")
    else:
        assert status["offer"] is None


@pytest.mark.parametrize("variant", ["sfn", "durable", "hybrid"])
def test_a_run_is_seen_to_end_when_it_ends_not_at_the_watchers_next_look(runtime, monkeypatch, variant):
    """The watcher (RunWatch.turns) looks again as soon as one of the run's executions ends: with its looks an
    hour apart after the first two, each variant's runs are still seen to end, their durable executions too (before,
    a run's latency was rounded up to the watcher's next look)."""
    monkeypatch.setattr(demo, "polling_intervals", lambda: itertools.chain([0.0], itertools.repeat(3600.0)))
    results: list = []
    watcher = threading.Thread(
        target=lambda: results.extend(run_loan_case(runtime, case, variant) for case in loan_cases(["bob", "charlie"])),
        daemon=True,  # left asleep for an hour if the test fails
    )
    watcher.start()
    watcher.join(timeout=60)

    assert not watcher.is_alive(), "a watcher slept to its next look: the end of a run did not wake it"
    assert [(r.case, r.outcome) for r in results] == [("bob", "denied"), ("charlie", "approved")]


def test_manager_who_never_answers_means_denied_no_manager_decision(runtime, manager):
    [alice] = loan_cases(["alice"])
    silent = type(alice)(**{**alice.__dict__, "manager": None})
    result = run_loan_case(runtime, silent, "hybrid")

    assert (result.outcome, result.reason) == ("denied", NO_MANAGER_DECISION_REASON)
    assert result.id not in [item["application_id"] for item in manager.get("/approvals").body["approvals"]]
    late = manager.post(f"/approve/{result.id}", {"approved": True, "manager": "Dana Lee"})
    assert late.status == 404


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("fail", "fraud check failed: FraudCheckService-v2 could not reach its data provider"),
        ("silent", "fraud check timed out: no answer within 5 minutes"),
    ],
)
def test_fraud_service_failure_or_silence_denies(runtime, api, monkeypatch, mode, reason):
    monkeypatch.setenv("FRAUD_SIMULATION", mode)
    [charlie] = loan_cases(["charlie"])
    result = run_loan_case(runtime, charlie, "hybrid")
    assert (result.outcome, result.reason) == ("denied", reason)


def test_manager_can_decline(runtime):
    [alice] = loan_cases(["alice"])
    declining = type(alice)(
        **{**alice.__dict__, "manager": {"approved": False, "manager": "Sam Ortiz", "comment": "too much exposure"}}
    )
    result = run_loan_case(runtime, declining, "hybrid")
    assert (result.outcome, result.reason) == ("denied", "manager Sam Ortiz denied: too much exposure")


def executions(runtime) -> list[str]:
    sfn = runtime.client("stepfunctions")
    machine = runtime.resolve(ResourceRef("state_machine", "loan-hybrid", "arn"))
    return [execution["name"] for execution in sfn.list_executions(stateMachineArn=machine)["executions"]]


def test_bad_input_is_refused_field_by_field_and_starts_nothing(runtime, api):
    before = executions(runtime)
    response = api.post("/apply", {"applicant_name": "", "sin_last4": 1234, "annual_income": "lots", "loan_amount": -5})

    assert response.status == 400
    assert response.body["errors"] == [
        {"field": "loan_purpose", "rule": "is required"},
        {"field": "applicant_name", "rule": "must not be empty"},
        {"field": "sin_last4", "rule": "must be exactly 4 digits, as text"},
        {"field": "annual_income", "rule": "must be a number"},
        {"field": "loan_amount", "rule": "must be greater than 0"},
    ]
    assert api.post("/apply", "{not json").status == 400
    assert api.post("/apply", {**loan_cases(["bob"])[0].application}, query={"variant": "quantum"}).body["errors"] == [
        {"field": "variant", "rule": "must be one of hybrid, sfn, durable"}
    ]
    assert executions(runtime) == before


def test_the_same_application_id_cannot_start_two_workflows(runtime, api):
    [bob] = loan_cases(["bob"])
    application = {**bob.application, "application_id": f"dup-{uuid.uuid4().hex[:6]}"}
    first = api.post("/apply", application)
    second = api.post("/apply", application)
    # The same application again, while it runs and after it ended, is answered with its workflow.
    assert first.status == 202
    assert (second.status, second.body["execution_arn"]) == (200, first.body["execution_arn"])
    wait_for_execution_end(runtime, first.body["execution_arn"])
    assert api.post("/apply", application).body["execution_arn"] == first.body["execution_arn"]
    # Another variant, or another application under the same id: refused, naming the workflow that has the id.
    for variant in ("sfn", "durable"):
        refused = api.post("/apply", application, query={"variant": variant})
        assert (refused.status, refused.body["variant"]) == (409, "hybrid"), refused.body
    assert api.post("/apply", {**application, "loan_purpose": "another purpose"}).status == 409
    assert executions(runtime).count(application["application_id"]) == 1
    assert runtime.durable_statuses("loan-workflow", application["application_id"]) == []


def wait_for_execution_end(runtime, execution_arn: str, deadline_seconds: float = 20) -> None:
    sfn, deadline = runtime.client("stepfunctions"), time.monotonic() + deadline_seconds
    while sfn.describe_execution(executionArn=execution_arn)["status"] == "RUNNING":
        assert time.monotonic() < deadline, f"{execution_arn} still running after {deadline_seconds} s"
        time.sleep(0.005)


def test_progress_log_has_no_duplicates_after_a_replay(runtime, api, monkeypatch):
    """The fraud service stays silent; the test answers the callback itself once the assessment's invocation
    has suspended, so the durable function must replay from the top to go on."""
    monkeypatch.setenv("FRAUD_SIMULATION", "silent")
    lambda_client = runtime.client("lambda")
    [charlie] = loan_cases(["charlie"])
    application_id = f"replay-{uuid.uuid4().hex[:6]}"
    started = api.post("/apply", {**charlie.application, "application_id": application_id})

    callback_id = wait_for_suspended_callback(lambda_client, application_id)
    lambda_client.send_durable_execution_callback_success(
        CallbackId=callback_id, Result=json.dumps({"passed": True, "risk_indicators": 0, "checked_by": "test"}).encode()
    )
    wait_for_execution_end(runtime, started.body["execution_arn"])
    RunWatch(runtime, LOAN_VARIANTS["hybrid"], application_id).wait_for_durable_end(time.perf_counter() + 20)

    history = durable_history(lambda_client, "loan-assessment", application_id)
    assert sum(event["EventType"] == "InvocationCompleted" for event in history) >= 2, "the assessment was replayed"
    log = api.get(f"/status/{application_id}").body["log"]
    assert [entry["entry_id"] for entry in log] == charlie.expected["audit_trail"]


def wait_for_suspended_callback(lambda_client, application_id: str, deadline_seconds: float = 20) -> str:
    """The fraud callback's id, once the invocation that created it has completed (suspended)."""
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        history = durable_history(lambda_client, "loan-assessment", application_id)
        started = [i for i, event in enumerate(history) if event["EventType"] == "CallbackStarted"]
        if started and any(event["EventType"] == "InvocationCompleted" for event in history[started[0] :]):
            return history[started[0]]["CallbackStartedDetails"]["CallbackId"]
        time.sleep(0.005)
    raise AssertionError(f"the fraud callback of {application_id} never became pending")


def test_unknown_ids_and_bad_approvals_get_clear_answers(api, manager):
    assert api.get("/status/no-such-application").status == 404
    assert manager.post("/approve/no-such-application", {"approved": True, "manager": "Dana Lee"}).status == 404
    bad = manager.post("/approve/whatever", {"approved": "yes"})
    assert bad.status == 400
    assert bad.body["errors"] == [
        {"field": "approved", "rule": "must be true or false"},
        {"field": "manager", "rule": "must name the manager deciding"},
    ]


def test_the_applicant_is_notified_of_the_decision(runtime):
    sqs, sns = runtime.client("sqs"), runtime.client("sns")
    queue_url = sqs.create_queue(QueueName=f"applicant-inbox-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic_arn = runtime.resolve(ResourceRef("topic", "applicant-notifications", "arn"))
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})

    [bob] = loan_cases(["bob"])
    result = run_loan_case(runtime, bob, "hybrid")

    received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    decisions = [json.loads(message["Body"]) for message in received]
    assert {"application_id": result.id, "outcome": "denied", "reason": bob.expected["reason"]} in decisions


def test_an_idempotency_key_answers_a_repeat_with_the_first_answer(runtime, api):
    [bob] = loan_cases(["bob"])  # no application_id: the API makes one up, once
    key = {"Idempotency-Key": f"retry-{uuid.uuid4().hex[:8]}"}
    first = api.post("/apply", bob.application, headers=key)
    again = api.post("/apply", bob.application, headers=key)
    assert first.status == 202
    assert (again.status, again.body) == (first.status, first.body)
    assert executions(runtime).count(first.body["application_id"]) == 1
    # The same key with another body (or another variant) is a mistake the caller must hear about.
    other = api.post("/apply", {**bob.application, "loan_amount": 51_000}, headers=key)
    assert other.status == 422 and other.body["errors"][0]["field"] == "Idempotency-Key", other.body
    assert api.post("/apply", bob.application, query={"variant": "sfn"}, headers=key).status == 422
    # A bad body is refused and not remembered: the key still answers the first request.
    assert api.post("/apply", {**bob.application, "loan_amount": -1}, headers=key).status == 400
    assert api.post("/apply", bob.application, headers=key).body == first.body
    assert api.post("/apply", bob.application, headers={"Idempotency-Key": "has spaces"}).status == 400
    # Without a key, the same body is a new application each time.
    assert api.post("/apply", bob.application).body["application_id"] != first.body["application_id"]
