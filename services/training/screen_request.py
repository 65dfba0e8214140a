"""Step "Screen Request": the model scores how well the training matches the role (the scorer adapter:
Bedrock Converse, answered locally by the local model), and the score's band decides what follows."""

from __future__ import annotations

from typing import Any

from domain.training.models import Screening, ScreeningResult, TrainingRequest
from domain.training.rules import band, screening_reason
from services.common.bootstrap import Adapters, wired
from services.common.log import at, logged
from services.common.progress import ProgressEntry


@logged(at("request", "request_id"))
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Task "Screen Request" (pure Step Functions): {"request"} → the screening result."""
    return screen_request(wired(), TrainingRequest.model_validate(event["request"])).model_dump(mode="json")


def screen_request(adapters: Adapters, request: TrainingRequest) -> ScreeningResult:
    return record_screening(adapters, request, adapters.scorer.score(request))


def record_screening(adapters: Adapters, request: TrainingRequest, screening: Screening) -> ScreeningResult:
    score_band = band(screening.score)
    result = ScreeningResult(
        request_id=request.request_id,
        score=screening.score,
        band=score_band,
        rationale=screening.rationale,
        model_id=screening.model_id,
        reason=screening_reason(score_band),
    )
    log = adapters.training
    log.set_status(request.request_id, score=result.score, band=result.band, rationale=result.rationale)
    log.record(
        request.request_id,
        ProgressEntry(
            "screened",
            step="screening",
            message=f"score {result.score} ({result.band}) by {result.model_id}: {result.rationale}",
        ),
    )
    return result
