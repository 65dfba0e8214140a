"""The training request's data: what an employee uploads, what the screening model says, what HR decides.

Plain, immutable, JSON-ready (``model_dump(mode="json")``) so every variant passes the same shapes between
Step Functions states, durable steps and Lambda handlers.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# Where the screening score puts a request (rules.py decides): reject < 50 ≤ review ≤ 75 < approve.
Band = Literal["reject", "review", "approve"]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TrainingRequest(Model):
    """One uploaded request document (``scenarios/training/*.json`` holds the demo ones)."""

    request_id: str
    employee_id: str
    employee_name: str
    employee_email: str
    job_role: str
    job_description: str
    training_title: str
    training_description: str
    provider: str
    cost: float  # US dollars


class Screening(Model):
    """The screening model's judgement: how well the training matches the role, and why."""

    score: int = Field(ge=0, le=100)
    rationale: str
    model_id: str  # which model produced it (a Bedrock model id, or the local model's name)


class HrDecision(Model):
    approved: bool
    reviewer: str
    comment: str = ""


# --- what the workflow decides (additions for the workflow; the fields above are the contract) --------------

Decision = Literal["approved", "rejected"]
# approved: approved and enrolled; rejected: by the screening, by HR, or for lack of an HR decision;
# enrollment-failed: approved, but a step of the enrollment failed and the steps done before it were undone.
Outcome = Literal["approved", "rejected", "enrollment-failed"]


class ScreeningResult(Model):
    """The screening with what follows from it: the band (rules.band) and the reason the workflow gives."""

    request_id: str
    score: int = Field(ge=0, le=100)
    band: Band
    rationale: str
    model_id: str
    reason: str


class HrReview(Model):
    """HR's answer as the workflow receives it: the decision and the reason (rules.hr_reason)."""

    approved: bool
    reviewer: str
    comment: str = ""
    reason: str


class Enrollment(Model):
    """The enrollment saga's record (saga.py moves it along): which steps ran, which were undone, and why."""

    status: Literal["in progress", "enrolled", "failed"]
    completed: list[str] = []  # saga steps that ran, in order
    compensated: list[str] = []  # compensations that ran, in order (the reverse of ``completed``)
    failed_step: str | None = None
    error: str | None = None
    references: dict[str, str] = {}  # step -> the provider's reference (reservation, booking, calendar event)


class TrainingOutcome(Model):
    """What the results bucket receives, the employee is told, and the audit trail records."""

    request_id: str
    employee_id: str
    employee_name: str
    training_title: str
    provider: str
    cost: float
    decision: Decision
    outcome: Outcome
    reason: str
    score: int | None = None
    band: Band | None = None
    rationale: str | None = None
    model_id: str | None = None
    reviewer: str | None = None
    comment: str | None = None
    enrollment: Enrollment | None = None
