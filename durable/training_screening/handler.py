"""Hybrid training, micro flow: the AI screening, as one durable function.

Called by the state machine's "Screen Request" Task with the request and a task token:
  1. ask the model (the scorer adapter: the prompt, the Bedrock Converse call with its own throttling
     retries and one re-ask on a malformed answer, the answer's validation) — a step, retried with backoff
     when the model stays unavailable, so a replay never asks twice;
  2. record the score, its band and the rationale;
  3. answer the task token with the screening result (or the failure, whose name the ASL catches).
Replay rules: durable/README.md.
"""

from __future__ import annotations

from typing import Any

from aws_durable_execution_sdk_python import DurableContext, StepContext, durable_execution, durable_step
from aws_durable_execution_sdk_python.config import Duration, StepConfig
from aws_durable_execution_sdk_python.retries import RetryStrategyConfig, create_retry_strategy

from domain.training.models import Screening, ScreeningResult, TrainingRequest
from durable.task_token import run_for_task_token
from services.common.bootstrap import adapters
from services.scorer.interface import ScreeningFailed
from services.training.screen_request import record_screening

# The model stays unavailable (throttled past the adapter's own retries, or down): 3 attempts, 2 then 4 s apart.
MODEL_RETRY = StepConfig(
    retry_strategy=create_retry_strategy(
        RetryStrategyConfig(max_attempts=3, initial_delay=Duration.from_seconds(2), backoff_rate=2)
    )
)


@durable_step
def ask_model(step_context: StepContext, request: dict[str, Any]) -> dict[str, Any]:
    """The model's screening, or why there is none: the scorer already retried and re-asked, so its
    ScreeningFailed is an answer to report, not an error to retry (other errors are retried)."""
    try:
        return {"screening": adapters().scorer.score(TrainingRequest.model_validate(request)).model_dump(mode="json")}
    except ScreeningFailed as failed:
        return {"failed": str(failed)}


@durable_step
def record(step_context: StepContext, request: dict[str, Any], screening: dict[str, Any]) -> dict[str, Any]:
    scored = record_screening(TrainingRequest.model_validate(request), Screening.model_validate(screening))
    return scored.model_dump(mode="json")


def screen(context: DurableContext, request: TrainingRequest) -> ScreeningResult:
    """The micro flow: the model's judgement, then its band and reason, recorded."""
    document = request.model_dump(mode="json")
    answer = context.step(ask_model(document), name="ask the screening model", config=MODEL_RETRY)
    if "failed" in answer:
        raise ScreeningFailed(answer["failed"])  # the task token's failure: the state machine catches it by name
    return ScreeningResult.model_validate(context.step(record(document, answer["screening"]), name="record screening"))


@durable_execution
def handler(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    request = TrainingRequest.model_validate(event["request"])
    return run_for_task_token(context, event["task_token"], lambda: screen(context, request).model_dump(mode="json"))
