"""The enrollment saga as plain data: reserve the budget, book the seat with the provider, add the training to
the employee's calendar. When a step fails, the steps already done are undone in reverse order.

Every variant moves one :class:`~domain.training.models.Enrollment` record through these functions: the
durable flows in steps, the pure Step Functions variant through one Lambda per step (its Catch states call
the compensations), so all three end with the same record for the same events.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.training.models import Enrollment


@dataclass(frozen=True)
class SagaStep:
    name: str  # what the step does, as the history and the result file show it
    compensation: str  # what undoes it
    done_entry: str  # audit-trail entry written (once) when the step took effect
    undone_entry: str  # audit-trail entry written (once) when its compensation took effect


ENROLLMENT_SAGA: tuple[SagaStep, ...] = (
    SagaStep("reserve budget", "release budget", "budget-reserved", "budget-released"),
    SagaStep("book seat", "cancel seat", "seat-booked", "seat-cancelled"),
    SagaStep("add to calendar", "remove from calendar", "calendar-added", "calendar-removed"),
)
STEPS = {step.name: step for step in ENROLLMENT_SAGA}
COMPENSATIONS = {step.compensation: step for step in ENROLLMENT_SAGA}


class UnknownSagaStep(KeyError):
    pass


def step_named(name: str) -> SagaStep:
    try:
        return STEPS[name]
    except KeyError:
        raise UnknownSagaStep(f"no enrollment step {name!r}; the steps are {', '.join(STEPS)}") from None


def begin() -> Enrollment:
    return Enrollment(status="in progress")


def next_step(enrollment: Enrollment) -> SagaStep | None:
    """The step to run next, or None when every step ran (or the saga failed)."""
    if enrollment.status != "in progress":
        return None
    done = len(enrollment.completed)
    return ENROLLMENT_SAGA[done] if done < len(ENROLLMENT_SAGA) else None


def after_step(enrollment: Enrollment, step: SagaStep, reference: str) -> Enrollment:
    """The record once ``step`` took effect; the last step completes the enrollment."""
    expected = next_step(enrollment)
    if expected != step:
        raise ValueError(f"{step.name!r} cannot run now: the next enrollment step is {expected and expected.name!r}")
    completed = [*enrollment.completed, step.name]
    return enrollment.model_copy(
        update={
            "completed": completed,
            "references": {**enrollment.references, step.name: reference},
            "status": "enrolled" if len(completed) == len(ENROLLMENT_SAGA) else "in progress",
        }
    )


def after_failure(enrollment: Enrollment, step: SagaStep, error: str) -> Enrollment:
    """The record once ``step`` failed: nothing more runs forward; the completed steps are to be undone."""
    return enrollment.model_copy(update={"status": "failed", "failed_step": step.name, "error": error})


def compensations_due(enrollment: Enrollment) -> list[SagaStep]:
    """The completed steps not yet undone, last first: the order their compensations run in."""
    if enrollment.status != "failed":
        return []
    undone = set(enrollment.compensated)
    return [STEPS[name] for name in reversed(enrollment.completed) if STEPS[name].compensation not in undone]


def after_compensation(enrollment: Enrollment, step: SagaStep) -> Enrollment:
    due = compensations_due(enrollment)
    if not due or due[0] != step:
        expected = due[0].compensation if due else None
        raise ValueError(f"{step.compensation!r} cannot run now: the next compensation is {expected!r}")
    return enrollment.model_copy(update={"compensated": [*enrollment.compensated, step.compensation]})


def failure_reason(enrollment: Enrollment) -> str:
    """Why an approved request was not enrolled, and what was undone."""
    undone = ", ".join(enrollment.compensated) or "nothing to undo"
    return f"approved, but enrollment failed at {enrollment.failed_step}: {enrollment.error} (undone: {undone})"
