"""Hybrid training, micro flow: the enrollment saga, as one durable function.

Called by the state machine's "Enroll Employee" Task with the approved request and a task token:
  reserve the budget → book the seat with the provider → add the training to the employee's calendar.
When a step fails (the provider is full, or a counterpart stays down after its retries) the steps already done
are undone in reverse order, each compensation a step of its own: a replay or a retried invocation finds it
checkpointed and does not undo anything twice. The task token gets the saga's record either way — a failed
enrollment is an outcome the workflow reports, not a crash. Replay rules: durable/README.md.
"""

from __future__ import annotations

from typing import Any

from aws_durable_execution_sdk_python import DurableContext
from aws_durable_execution_sdk_python.config import Duration, StepConfig
from aws_durable_execution_sdk_python.exceptions import StepError
from aws_durable_execution_sdk_python.retries import RetryStrategyConfig, create_retry_strategy

from domain.training import saga
from domain.training.models import Enrollment, TrainingRequest
from durable.task_token import run_for_task_token
from durable.typed_steps import run_step
from durable.wiring import durable_handler
from services.common.bootstrap import Adapters
from services.common.log import at
from services.training.saga import EnrollmentRefused, compensate, record_failure, take_step

# A counterpart that does not answer is asked 3 times in all, 1 then 2 s apart (the sfn variant's Retry).
COUNTERPART_RETRY = StepConfig(
    retry_strategy=create_retry_strategy(
        RetryStrategyConfig(max_attempts=3, initial_delay=Duration.from_seconds(1), backoff_rate=2)
    )
)


def forward(adapters: Adapters, step_name: str, request: TrainingRequest, enrollment: Enrollment) -> Enrollment | str:
    """One saga step: the record moved on, or the counterpart's refusal (an answer, not retried); any other error
    is retried."""
    try:
        return take_step(adapters, step_name, request, enrollment)
    except EnrollmentRefused as refused:
        return str(refused)


def enroll(context: DurableContext, adapters: Adapters, request: TrainingRequest) -> Enrollment:
    """The saga: every step forward in order; on a failure, the compensations of the steps done, in reverse."""
    record = saga.begin()
    while (step := saga.next_step(record)) is not None:
        try:
            done = run_step(
                context,
                step.name,
                forward,
                adapters,
                step.name,
                request,
                record,
                returns=Enrollment | str,
                config=COUNTERPART_RETRY,
            )
        except StepError as failure:
            done = failure.message or failure.error_type or "failed"
        if isinstance(done, str):
            record = run_step(
                context,
                f"{step.name} failed",
                record_failure,
                adapters,
                request,
                record,
                step.name,
                done,
                returns=Enrollment,
            )
            break
        record = done
    for due in saga.compensations_due(record):
        record = run_step(
            context,
            due.compensation,
            compensate,
            adapters,
            due.compensation,
            request,
            record,
            returns=Enrollment,
            config=COUNTERPART_RETRY,
        )
    return record


def enroll_for_the_workflow(adapters: Adapters, event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    """``event``: {"request", "task_token"}; the saga's record answers the task token."""
    request = TrainingRequest.model_validate(event["request"])
    return run_for_task_token(
        context, adapters, event["task_token"], lambda: enroll(context, adapters, request).model_dump(mode="json")
    )


handler = durable_handler(enroll_for_the_workflow, at("request", "request_id"), variant="hybrid")
