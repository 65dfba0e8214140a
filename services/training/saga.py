"""The enrollment saga's steps and compensations as every variant runs them.

``take_step`` makes one step take effect (reserve the budget, book the seat, add to the calendar) and returns
the saga's record moved on; ``compensate`` undoes one completed step. The counterparts act by the request's
reference (a repeated call after a crash changes nothing) and each audit entry is written with put-if-absent,
so a retried call adds nothing twice; a durable replay does not call them at all (the step is checkpointed).
The durable flows call these inside steps; the pure Step Functions variant calls them through the handlers
below, its Catch states leading to the compensations (statemachines/training-sfn.asl.json).
"""

from __future__ import annotations

import json
from typing import Any

from domain.training import saga
from domain.training.models import Enrollment, TrainingRequest
from services.common.bootstrap import Adapters, wired
from services.common.log import at, logged
from services.common.progress import ProgressEntry
from services.simulated.training_providers import EnrollmentRefused

__all__ = ["EnrollmentRefused", "compensate", "record_failure", "take_step"]


def _do(adapters: Adapters, step: saga.SagaStep, request: TrainingRequest) -> str:
    services = adapters.enrollment
    if step.name == "reserve budget":
        return services.budget.reserve(request)
    if step.name == "book seat":
        return services.provider.book(request)
    return services.calendar.add(request)


def _undo(adapters: Adapters, step: saga.SagaStep, request: TrainingRequest, reference: str) -> None:
    services = adapters.enrollment
    if step.name == "reserve budget":
        services.budget.release(request, reference)
    elif step.name == "book seat":
        services.provider.cancel(request, reference)
    else:
        services.calendar.remove(request, reference)


def take_step(adapters: Adapters, step_name: str, request: TrainingRequest, enrollment: Enrollment) -> Enrollment:
    """Run one saga step; raises EnrollmentRefused (or the counterpart's error) when it fails."""
    step = saga.step_named(step_name)
    reference = _do(adapters, step, request)
    moved = saga.after_step(enrollment, step, reference)
    adapters.training.record(
        request.request_id,
        ProgressEntry(step.done_entry, step="enrollment", message=f"{step.name}: {reference}"),
    )
    return moved


def record_failure(
    adapters: Adapters, request: TrainingRequest, enrollment: Enrollment, step_name: str, error: str
) -> Enrollment:
    """The saga's record once ``step_name`` failed (idempotent: a failed record stays as it is)."""
    if enrollment.status == "failed":
        return enrollment
    failed = saga.after_failure(enrollment, saga.step_named(step_name), error)
    adapters.training.record(
        request.request_id,
        ProgressEntry("enrollment-failed", step="enrollment", message=f"{step_name} failed: {error}", level="warning"),
    )
    return failed


def compensate(adapters: Adapters, compensation: str, request: TrainingRequest, enrollment: Enrollment) -> Enrollment:
    """Undo one completed step (the next one due, last done first)."""
    step = saga.COMPENSATIONS.get(compensation)
    if step is None:
        raise saga.UnknownSagaStep(f"no compensation {compensation!r}; they are {', '.join(saga.COMPENSATIONS)}")
    undone = saga.after_compensation(enrollment, step)
    reference = enrollment.references[step.name]
    # The counterpart undoes by reference, so a call repeated after a crash changes nothing; the durable
    # checkpoint (or the state machine's recorded result) keeps a replay from calling it at all.
    _undo(adapters, step, request, reference)
    adapters.training.record(
        request.request_id,
        ProgressEntry(step.undone_entry, step="compensation", message=f"{compensation}: {reference}"),
    )
    return undone


# --- Lambda handlers (pure Step Functions variant) ----------------------------------------------------------


@logged(at("request", "request_id"))
def step_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Tasks "Reserve Budget", "Book Seat", "Add to Calendar": {"step", "request", "enrollment" (null at first)}."""
    request = TrainingRequest.model_validate(event["request"])
    enrollment = Enrollment.model_validate(event["enrollment"]) if event.get("enrollment") else saga.begin()
    return take_step(wired(), event["step"], request, enrollment).model_dump(mode="json")


@logged(at("request", "request_id"))
def compensation_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Tasks "Record Enrollment Failure", "Remove from Calendar", "Cancel Seat", "Release Budget":
    {"request", "enrollment", "failed_step", "error" (the Catch's error output), "compensation" (or null)}."""
    request = TrainingRequest.model_validate(event["request"])
    enrollment = Enrollment.model_validate(event["enrollment"]) if event.get("enrollment") else saga.begin()
    adapters = wired()
    enrollment = record_failure(adapters, request, enrollment, event["failed_step"], readable_error(event.get("error")))
    if event.get("compensation"):
        enrollment = compensate(adapters, event["compensation"], request, enrollment)
    return enrollment.model_dump(mode="json")


def readable_error(error: Any) -> str:
    """A Catch's error output ({"Error", "Cause"}; a Lambda's Cause is its error JSON) → the error's message."""
    if not isinstance(error, dict):
        return str(error or "")
    cause = error.get("Cause") or ""
    try:
        parsed = json.loads(cause)
    except (json.JSONDecodeError, TypeError):
        return cause or error.get("Error", "")
    return parsed.get("errorMessage", cause) if isinstance(parsed, dict) else cause
