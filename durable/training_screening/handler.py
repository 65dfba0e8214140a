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

from aws_durable_execution_sdk_python import DurableContext
from aws_durable_execution_sdk_python.config import Duration, StepConfig
from aws_durable_execution_sdk_python.retries import RetryStrategyConfig, create_retry_strategy

from domain.training.models import Screening, ScreeningResult, TrainingRequest
from durable.task_token import run_for_task_token
from durable.typed_steps import run_step
from durable.wiring import durable_handler
from services.common.bootstrap import Adapters
from services.common.log import at
from services.scorer.interface import ScreeningFailed
from services.training.screen_request import record_screening

# The model stays unavailable (throttled past the adapter's own retries, or down): 3 attempts, 2 then 4 s apart.
MODEL_RETRY = StepConfig(
    retry_strategy=create_retry_strategy(
        RetryStrategyConfig(max_attempts=3, initial_delay=Duration.from_seconds(2), backoff_rate=2)
    )
)


def ask_model(adapters: Adapters, request: TrainingRequest) -> Screening | str:
    """The model's screening, or why there is none: the scorer already retried and re-asked, so its
    ScreeningFailed is an answer to report, not an error to retry (other errors are retried)."""
    try:
        return adapters.scorer.score(request)
    except ScreeningFailed as failed:
        return str(failed)


def screen(context: DurableContext, adapters: Adapters, request: TrainingRequest) -> ScreeningResult:
    """The micro flow: the model's judgement, then its band and reason, recorded."""
    answer = run_step(
        context, "ask the screening model", ask_model, adapters, request, returns=Screening | str, config=MODEL_RETRY
    )
    if isinstance(answer, str):
        raise ScreeningFailed(answer)  # the task token's failure: the state machine catches it by name
    return run_step(context, "record screening", record_screening, adapters, request, answer, returns=ScreeningResult)


def screen_for_the_workflow(adapters: Adapters, event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    """``event``: {"request", "task_token"}; the screening result answers the task token."""
    request = TrainingRequest.model_validate(event["request"])
    return run_for_task_token(
        context, adapters, event["task_token"], lambda: screen(context, adapters, request).model_dump(mode="json")
    )


handler = durable_handler(screen_for_the_workflow, at("request", "request_id"), variant="hybrid")
