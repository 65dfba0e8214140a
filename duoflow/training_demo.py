"""Runs training demo cases on a local stack: upload → workflow → result file, with a simulated HR reviewer.

Each run uploads the case's document to the requests bucket under ``requests/<request id>.json`` (the upload's
``variant`` metadata chooses the orchestrator), which starts the workflow through the S3 → EventBridge event;
when the request waits for HR, the simulated reviewer reads GET /reviews and answers POST /reviews/{id} with the
case's ``hr`` answer. The run ends when the orchestrator does; its result is the file in the results bucket.

The scenario files say what a person expects (``expected.band``). When the screening model puts a request in
another band, the run says so (``model_agrees`` false) and is judged by what the rules make of the model's
score: the scores are never bent to fit.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from duoflow.api_client import ApiClient, role_claims
from duoflow.demo import RunDidNotFinish, RunResult, RunWatch
from duoflow.runtime import LocalRuntime
from duoflow.scenarios import TrainingCase
from duoflow.variants import TRAINING_VARIANTS
from services.api.routes import HR_ROLE

REQUESTS_BUCKET, RESULTS_BUCKET, REQUESTS_PREFIX = "training-requests", "training-results", "requests/"
# Asked only when a request the scenario file does not expect in review lands there (the model disagreed).
NO_HR_ANSWER = {
    "decision": "reject",
    "reviewer": "Demo HR",
    "comment": "the scenario file has no HR answer for this case",
}
# What each band can end as (a band the model chose differently from the scenario file is judged by these).
OUTCOMES_OF_BAND = {
    "reject": {"rejected"},
    "review": {"approved", "rejected", "enrollment-failed"},
    "approve": {"approved", "enrollment-failed"},
}


@dataclass(frozen=True)
class TrainingRunResult(RunResult):
    score: int | None = None
    band: str | None = None
    expected_band: str | None = None
    training: str = ""
    hr_answered: bool = False
    result_file: dict[str, Any] | None = None

    @property
    def model_agrees(self) -> bool:
        return self.band == self.expected_band

    @property
    def as_expected(self) -> bool:
        if self.model_agrees:
            return self.outcome == self.expected_outcome
        return self.outcome in OUTCOMES_OF_BAND.get(self.band or "", set())

    def to_json(self) -> dict[str, Any]:
        document = {**super().to_json(), "model_agrees": self.model_agrees}
        document.pop("result_file", None)
        return document


def upload(runtime: LocalRuntime, case: TrainingCase, request_id: str, variant: str) -> str:
    key = f"{REQUESTS_PREFIX}{request_id}.json"
    runtime.client("s3").put_object(
        Bucket=REQUESTS_BUCKET,
        Key=key,
        Body=json.dumps(case.request).encode(),
        ContentType="application/json",
        Metadata={"variant": variant},
    )
    return key


def read_result(runtime: LocalRuntime, request_id: str) -> dict[str, Any] | None:
    s3 = runtime.client("s3")
    try:
        return json.loads(s3.get_object(Bucket=RESULTS_BUCKET, Key=f"{request_id}.json")["Body"].read())
    except s3.exceptions.NoSuchKey:
        return None


def run_training_case(
    runtime: LocalRuntime,
    case: TrainingCase,
    variant: str,
    deadline_seconds: float = 60,
    measure: bool = True,
    request_id: str | None = None,
) -> TrainingRunResult:
    """One upload through to its result file, with the simulated HR reviewer; ``measure=False`` skips reading
    the histories (state transitions and durable operations are then 0)."""
    request_id = request_id or f"{case.case}-{variant}-{uuid.uuid4().hex[:8]}"
    watch = RunWatch(runtime, TRAINING_VARIANTS[variant], request_id)
    hr = ApiClient(runtime.client("lambda")).acting_as(role_claims(HR_ROLE, "hr.reviewer"))
    deadline = time.perf_counter() + deadline_seconds
    began = time.perf_counter()
    upload(runtime, case, request_id, variant)
    hr_answered = _follow(runtime, hr, watch, case, deadline)
    latency_ms = (time.perf_counter() - began) * 1000
    watch.wait_for_durable_end(deadline)
    result = read_result(runtime, request_id) or {}
    return TrainingRunResult(
        scenario="training",
        case=case.case,
        variant=variant,
        id=request_id,
        applicant=case.request["employee_name"],
        amount=case.request["cost"],
        outcome=result.get("outcome", _status(runtime, request_id).get("status", "unknown")),
        reason=result.get("reason", _status(runtime, request_id).get("reason", "")),
        latency_ms=round(latency_ms, 1),
        state_transitions=watch.state_transitions() if measure else 0,
        durable_operations=watch.durable_operations() if measure else 0,
        expected_outcome=case.expected.get("outcome", ""),
        score=result.get("score"),
        band=result.get("band"),
        expected_band=case.expected.get("band"),
        training=case.request["training_title"],
        hr_answered=hr_answered,
        result_file=result or None,
    )


def _status(runtime: LocalRuntime, request_id: str) -> dict[str, Any]:
    item = runtime.client("dynamodb").get_item(
        TableName="training-progress", Key={"request_id": {"S": request_id}, "entry": {"S": "STATUS"}}
    )
    return {key: next(iter(value.values())) for key, value in item.get("Item", {}).items()}


def _started(runtime: LocalRuntime, watch: RunWatch) -> bool:
    """The upload's event has started the run's orchestrator (a status item is written by its first step)."""
    return bool(_status(runtime, watch.application_id))


def _follow(runtime: LocalRuntime, hr: ApiClient, watch: RunWatch, case: TrainingCase, deadline: float) -> bool:
    """Wait for the upload to start the workflow and the workflow to end; meanwhile the simulated HR reviewer
    answers when this request appears on the reviews list. True when HR answered."""
    started, answered = False, False
    for _ in watch.turns():
        if time.perf_counter() > deadline:
            break
        started = started or _started(runtime, watch)
        if started and watch.ended():
            return answered
        if started and not answered:
            answered = _simulated_hr(hr, case, watch.application_id)
    raise RunDidNotFinish(f"{case.case} ({watch.application_id}) did not finish within the deadline")


def _simulated_hr(hr: ApiClient, case: TrainingCase, request_id: str) -> bool:
    pending = [item["request_id"] for item in hr.get("/reviews").body["reviews"]]
    if request_id not in pending:
        return False
    response = hr.post(f"/reviews/{request_id}", case.hr or NO_HR_ANSWER)
    if response.status != 200:
        raise RuntimeError(f"{case.case}: POST /reviews answered {response.status}: {response.body}")
    return True


def run_training_cases(runtime: LocalRuntime, cases: list[TrainingCase], variants: list[str], on_done=lambda r: None):
    results = []
    for variant in variants:
        for case in cases:
            result = run_training_case(runtime, case, variant)
            on_done(result)
            results.append(result)
    return results
