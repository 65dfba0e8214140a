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
