"""The enrollment saga as plain data: steps in order, compensations in reverse, each once."""

from __future__ import annotations

import pytest

from domain.training import saga
from domain.training.saga import ENROLLMENT_SAGA


def run_until(failing: str | None):
    record = saga.begin()
    while (step := saga.next_step(record)) is not None:
        if step.name == failing:
            return saga.after_failure(record, step, f"{step.name} said no")
        record = saga.after_step(record, step, f"REF-{step.name}")
    return record


def test_the_steps_and_their_compensations():
    assert [(s.name, s.compensation) for s in ENROLLMENT_SAGA] == [
        ("reserve budget", "release budget"),
        ("book seat", "cancel seat"),
        ("add to calendar", "remove from calendar"),
    ]


def test_every_step_in_order_enrolls():
    record = run_until(None)
    assert record.status == "enrolled"
    assert record.completed == ["reserve budget", "book seat", "add to calendar"]
    assert saga.compensations_due(record) == []
    assert record.references == {step.name: f"REF-{step.name}" for step in ENROLLMENT_SAGA}


@pytest.mark.parametrize(
    ("failing", "undone"),
    [
        ("reserve budget", []),
        ("book seat", ["release budget"]),
        ("add to calendar", ["cancel seat", "release budget"]),
    ],
)
def test_a_failure_undoes_the_completed_steps_last_first(failing, undone):
    record = run_until(failing)
    assert (record.status, record.failed_step) == ("failed", failing)
    assert saga.next_step(record) is None  # nothing more runs forward
    for due in saga.compensations_due(record):
        record = saga.after_compensation(record, due)
    assert record.compensated == undone
    assert saga.compensations_due(record) == []  # each compensation once
    assert failing in saga.failure_reason(record)


def test_steps_cannot_run_out_of_order_and_compensations_not_twice():
    record = saga.begin()
    with pytest.raises(ValueError, match="next enrollment step is 'reserve budget'"):
        saga.after_step(record, saga.step_named("book seat"), "x")
    failed = run_until("add to calendar")
    once = saga.after_compensation(failed, saga.step_named("book seat"))
    with pytest.raises(ValueError, match="next compensation is 'release budget'"):
        saga.after_compensation(once, saga.step_named("book seat"))


def test_an_unknown_step_is_named():
    with pytest.raises(saga.UnknownSagaStep, match="no enrollment step 'pay'"):
        saga.step_named("pay")
