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

from aws_durable_execution_sdk_python import DurableContext, StepContext, durable_execution, durable_step
from aws_durable_execution_sdk_python.config import Duration, StepConfig
from aws_durable_execution_sdk_python.exceptions import StepError
from aws_durable_execution_sdk_python.retries import RetryStrategyConfig, create_retry_strategy

from domain.training import saga
from domain.training.models import Enrollment, TrainingRequest
from durable.task_token import run_for_task_token
from services.training.saga import EnrollmentRefused, compensate, record_failure, run_step

# A counterpart that does not answer is asked 3 times in all, 1 then 2 s apart (the sfn variant's Retry).
COUNTERPART_RETRY = StepConfig(
    retry_strategy=create_retry_strategy(
        RetryStrategyConfig(max_attempts=3, initial_delay=Duration.from_seconds(1), backoff_rate=2)
    )
)


@durable_step
def forward(step_context: StepContext, step_name: str, request: dict[str, Any], enrollment: dict[str, Any]) -> dict:
    """One saga step. A refusal is an answer (returned, not retried); any other error is retried."""
    try:
        moved = run_step(step_name, TrainingRequest.model_validate(request), Enrollment.model_validate(enrollment))
    except EnrollmentRefused as refused:
        return {"refused": str(refused)}
    return {"enrollment": moved.model_dump(mode="json")}


@durable_step
def fail(step_context: StepContext, request: dict[str, Any], enrollment: dict[str, Any], step_name: str, error: str):
    failed = record_failure(
        TrainingRequest.model_validate(request), Enrollment.model_validate(enrollment), step_name, error
    )
    return failed.model_dump(mode="json")


@durable_step
def undo(step_context: StepContext, compensation: str, request: dict[str, Any], enrollment: dict[str, Any]) -> dict:
    undone = compensate(compensation, TrainingRequest.model_validate(request), Enrollment.model_validate(enrollment))
    return undone.model_dump(mode="json")


def enroll(context: DurableContext, request: TrainingRequest) -> Enrollment:
    """The saga: every step forward in order; on a failure, the compensations of the steps done, in reverse."""
    document = request.model_dump(mode="json")
    record = saga.begin()
    while (step := saga.next_step(record)) is not None:
        try:
            done = context.step(
                forward(step.name, document, record.model_dump(mode="json")), name=step.name, config=COUNTERPART_RETRY
            )
            error = done.get("refused")
        except StepError as failure:
            done, error = {}, failure.message or failure.error_type or "failed"
        if error is not None:
            record = Enrollment.model_validate(
                context.step(
                    fail(document, record.model_dump(mode="json"), step.name, error), name=f"{step.name} failed"
                )
            )
            break
        record = Enrollment.model_validate(done["enrollment"])
    for due in saga.compensations_due(record):
        record = Enrollment.model_validate(
            context.step(
                undo(due.compensation, document, record.model_dump(mode="json")),
                name=due.compensation,
                config=COUNTERPART_RETRY,
            )
        )
    return record


@durable_execution
def handler(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    request = TrainingRequest.model_validate(event["request"])
    return run_for_task_token(context, event["task_token"], lambda: enroll(context, request).model_dump(mode="json"))
