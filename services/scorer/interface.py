"""The scorer: one request in, one screening out. Two adapters: Amazon Bedrock Converse and the local model."""

from __future__ import annotations

from typing import Protocol

from domain.training.models import Screening, TrainingRequest


class Scorer(Protocol):
    def score(self, request: TrainingRequest) -> Screening:
        """How well the training matches the employee's role, 0–100, with a short rationale.

        Raises :class:`ScreeningFailed` when no usable score can be had; it never guesses one."""
        ...


class ScreeningFailed(RuntimeError):
    """No usable screening: the model answered malformed twice, the service stayed throttled, or refused the call.

    The workflows name it (an ASL ``Catch`` on ``ScreeningFailed``, a durable step's error type); the message says
    which model and what went wrong, for the person who reads the failed execution."""
