"""The enrollment saga's three counterparts, each behind a small interface: the training budget, the training
provider's booking system, and the employee's calendar.

Simulated in every environment of this reference project (a real integration is one more adapter with the same
methods). References are derived from the request id, so a retried call gets the same reference. A provider
named in TRAINING_FULL_PROVIDERS (comma-separated; the catalog names "Sold Out Academy") has no seat left:
that is how the demo and the tests make the saga undo its first step.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Protocol

from domain.training.models import TrainingRequest

FULL_PROVIDERS_SETTING = "TRAINING_FULL_PROVIDERS"


class EnrollmentRefused(Exception):
    """A counterpart said no (no seat left, no budget): the saga undoes what it did; retrying will not help."""


def _reference(prefix: str, request_id: str) -> str:
    return f"{prefix}-{int.from_bytes(hashlib.sha256(f'{prefix}|{request_id}'.encode()).digest()[:6], 'big') % 10**12:012d}"


class Budget(Protocol):
    def reserve(self, request: TrainingRequest) -> str: ...

    def release(self, request: TrainingRequest, reference: str) -> None: ...


class ProviderBooking(Protocol):
    def book(self, request: TrainingRequest) -> str: ...

    def cancel(self, request: TrainingRequest, reference: str) -> None: ...


class Calendar(Protocol):
    def add(self, request: TrainingRequest) -> str: ...

    def remove(self, request: TrainingRequest, reference: str) -> None: ...


class SimulatedBudget:
    def reserve(self, request: TrainingRequest) -> str:
        return _reference("BUD", request.request_id)

    def release(self, request: TrainingRequest, reference: str) -> None:
        return None


class SimulatedProvider:
    def __init__(self, full_providers: frozenset[str] | None = None) -> None:
        self._full = full_providers

    def full_providers(self) -> frozenset[str]:
        if self._full is not None:
            return self._full
        names = os.environ.get(FULL_PROVIDERS_SETTING, "")
        return frozenset(name.strip().casefold() for name in names.split(",") if name.strip())

    def book(self, request: TrainingRequest) -> str:
        if request.provider.casefold() in self.full_providers():
            raise EnrollmentRefused(f"{request.provider} has no seat left on {request.training_title}")
        return _reference("SEAT", request.request_id)

    def cancel(self, request: TrainingRequest, reference: str) -> None:
        return None


class SimulatedCalendar:
    def add(self, request: TrainingRequest) -> str:
        return _reference("CAL", request.request_id)

    def remove(self, request: TrainingRequest, reference: str) -> None:
        return None


@dataclass(frozen=True)
class EnrollmentServices:
    budget: Budget
    provider: ProviderBooking
    calendar: Calendar


def simulated() -> EnrollmentServices:
    return EnrollmentServices(SimulatedBudget(), SimulatedProvider(), SimulatedCalendar())
