"""The shape both pure durable workflows share, as their state machines do: record the input (an invalid one fails
the execution and nothing else runs), decide, then notify the person (the decision stands if the message cannot be
sent) and record the decision in the audit trail. A failure after intake marks the item failed, as the state
machines' "Record Processing Failure" does, and fails the execution with the original error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from aws_durable_execution_sdk_python import DurableContext
from aws_durable_execution_sdk_python.config import Duration, StepConfig
from aws_durable_execution_sdk_python.exceptions import DurableOperationError, StepError, UnrecoverableError
from aws_durable_execution_sdk_python.retries import RetryStrategyConfig, create_retry_strategy

from domain.validation import InputInvalid
from durable.typed_steps import run_intake, run_step
from services.common.bootstrap import Adapters

Recorded = TypeVar("Recorded")
Outcome = TypeVar("Outcome")


def _retries(max_attempts: int, first_delay_seconds: int) -> StepConfig:
    return StepConfig(
        retry_strategy=create_retry_strategy(
            RetryStrategyConfig(
                max_attempts=max_attempts, initial_delay=Duration.from_seconds(first_delay_seconds), backoff_rate=2
            )
        )
    )


# The state machines' retries, so every variant gives up after the same attempts (an ASL MaxAttempts of 3 is three
# retries after the first attempt; the SDK's max_attempts counts the first one too).
SERVICE_RETRY = _retries(4, 1)
NOTIFY_RETRY = _retries(4, 2)


def processing_failure_reason(error_name: str) -> str:
    """The status reason of an item whose workflow failed; the state machines write the same one."""
    return f"processing failed: {error_name} (the execution history has the cause)"


def error_name(error: Exception) -> str:
    """The name of the error that stopped the flow, as a state machine's Catch would see it: the exception
    raised inside a failed step, not the SDK's wrapper around it."""
    while (
        isinstance(error, DurableOperationError)
        and error.error_type.startswith("aws_durable_execution_sdk_python.")
        and isinstance(error.__cause__, DurableOperationError)
    ):
        error = error.__cause__
    if isinstance(error, DurableOperationError):
        return error.error_type.rpartition(".")[2]
    return type(error).__name__


def run_whole_workflow(
    context: DurableContext,
    adapters: Adapters,
    event: dict[str, Any],
    *,
    id_field: str,
    intake: tuple[str, Callable[[Adapters, Any], Recorded], Any],
    invalid: type[InputInvalid],
    decide: Callable[[Recorded], Outcome],
    notify: tuple[str, Callable[[Adapters, Outcome], None]],
    record_decision: Callable[[Adapters, Outcome], None],
    mark_failed: Callable[[Adapters, str, str], None],
) -> Outcome:
    """The ``intake`` step (its name, the business step, the model it returns), then ``decide(recorded)``; then the
    ``notify`` step (its name and the function) and ``record_decision``. On a failure after intake,
    ``mark_failed(adapters, event[id_field], error name)``."""
    intake_step, record_input, recorded_type = intake
    try:
        recorded = run_intake(
            context,
            intake_step,
            record_input,
            adapters,
            event,
            returns=recorded_type,
            invalid=invalid,
            config=SERVICE_RETRY,
        )
        outcome = decide(recorded)
    except (invalid, UnrecoverableError):
        raise  # an invalid input is rejected before anything happens; the SDK's own failures end the run
    except Exception as error:
        _record_processing_failure(context, adapters, mark_failed, event[id_field], error)
        raise
    notify_step, notify_person = notify
    try:
        run_step(context, notify_step, notify_person, adapters, outcome, returns=None, config=NOTIFY_RETRY)
    except StepError as error:
        # As in the state machine: the decision stands even if the message could not be sent.
        context.logger.warning("%s: the message could not be sent: %s", notify_step, error.message)
    run_step(
        context,
        "record decision in audit trail",
        record_decision,
        adapters,
        outcome,
        returns=None,
        config=SERVICE_RETRY,
    )
    return outcome


def _record_processing_failure(
    context: DurableContext, adapters: Adapters, mark_failed: Callable[..., Any], item_id: str, error: Exception
) -> None:
    """Marks the item failed so nobody waits on it; the execution then fails with the error."""
    try:
        run_step(
            context,
            "record processing failure",
            mark_failed,
            adapters,
            item_id,
            error_name(error),
            returns=None,
            config=SERVICE_RETRY,
        )
    except StepError as failure:
        # As in the state machine: the execution still fails with the original error.
        context.logger.warning("the failure could not be recorded: %s", failure.message)
