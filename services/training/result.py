"""Step "Write Result": decides the outcome from what happened (domain.training.rules.training_outcome), writes it as
JSON to the results bucket (``<request id>.json``) and records that in the audit trail."""

from __future__ import annotations

import json
from typing import Any

from domain.training.models import Enrollment, HrReview, ScreeningResult, TrainingOutcome, TrainingRequest
from domain.training.rules import training_outcome
from services.common.bootstrap import adapters, setting
from services.common.progress import ProgressEntry

RESULTS_BUCKET_SETTING = "RESULTS_BUCKET"


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """{"request", "screening", "review" (or null), "enrollment" (or null)} → the outcome."""
    outcome = training_outcome(
        TrainingRequest.model_validate(event["request"]),
        ScreeningResult.model_validate(event["screening"]),
        HrReview.model_validate(event["review"]) if event.get("review") else None,
        Enrollment.model_validate(event["enrollment"]) if event.get("enrollment") else None,
    )
    return write_result(outcome)


def result_key(request_id: str) -> str:
    return f"{request_id}.json"


def write_result(outcome: TrainingOutcome) -> dict[str, Any]:
    """Writes the result file (the same key on a retry: one file per request) and returns the outcome as JSON."""
    document = outcome.model_dump(mode="json")
    bucket = setting(RESULTS_BUCKET_SETTING)
    adapters().s3_client.put_object(
        Bucket=bucket,
        Key=result_key(outcome.request_id),
        Body=json.dumps(document, indent=2).encode(),
        ContentType="application/json",
    )
    adapters().training.record(
        outcome.request_id,
        ProgressEntry(
            "result-written",
            step="result",
            message=f"{outcome.outcome}: result written to s3://{bucket}/{result_key(outcome.request_id)}",
        ),
    )
    return document


def employee_subject(outcome: dict[str, Any]) -> str:
    """The employee's message subject; the state machines build the same one."""
    return f"Your training request {outcome['request_id']} was {outcome['outcome']}"
