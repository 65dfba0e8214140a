"""Step "Write Result": decides the outcome from what happened (domain.training.rules.training_outcome), writes it as
JSON to the results bucket (``<request id>.json``) and records that in the audit trail."""

from __future__ import annotations

import json
from typing import Any

from domain.training.models import Enrollment, HrReview, ScreeningResult, TrainingOutcome, TrainingRequest
from domain.training.rules import training_outcome
from services.common.bootstrap import Adapters, setting, wired
from services.common.log import at, logged
from services.common.progress import ProgressEntry

RESULTS_BUCKET_SETTING = "RESULTS_BUCKET"


@logged(at("request", "request_id"))
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Task "Write Result": {"request", "screening", "review" (or null), "enrollment" (or null)} → the outcome."""
    return write_outcome(
        wired(),
        TrainingRequest.model_validate(event["request"]),
        ScreeningResult.model_validate(event["screening"]),
        HrReview.model_validate(event["review"]) if event.get("review") else None,
        Enrollment.model_validate(event["enrollment"]) if event.get("enrollment") else None,
    ).model_dump(mode="json")


def write_outcome(
    adapters: Adapters,
    request: TrainingRequest,
    screening: ScreeningResult,
    review: HrReview | None,
    enrollment: Enrollment | None,
) -> TrainingOutcome:
    """The outcome of what happened, written as the request's result file (the same key on a retry: one file per
    request) and recorded in the audit trail."""
    outcome = training_outcome(request, screening, review, enrollment)
    document = outcome.model_dump(mode="json")
    bucket = setting(RESULTS_BUCKET_SETTING)
    adapters.s3_client.put_object(
        Bucket=bucket,
        Key=result_key(outcome.request_id),
        Body=json.dumps(document, indent=2).encode(),
        ContentType="application/json",
    )
    adapters.training.record(
        outcome.request_id,
        ProgressEntry(
            "result-written",
            step="result",
            message=f"{outcome.outcome}: result written to s3://{bucket}/{result_key(outcome.request_id)}",
        ),
    )
    return outcome


def result_key(request_id: str) -> str:
    return f"{request_id}.json"


def employee_subject(outcome: dict[str, Any]) -> str:
    """The employee's message subject; the state machines build the same one."""
    return f"Your training request {outcome['request_id']} was {outcome['outcome']}"
