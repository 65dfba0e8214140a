"""The composition root: which adapter each side effect uses, decided in one place.

``bootstrap()`` builds the adapters from the environment; the entry points (each Lambda handler, each durable
handler, the HTTP API's routes) take the process's adapters from ``wired()`` and hand them to the business steps,
which receive them as their first argument and never look them up. A test builds its own with
``bootstrap(progress=InMemoryProgressLog(), ...)`` and hands them over the same way (cosmicpython's bootstrap is
the model). The same code runs in AWS and on the local runtime: only the endpoints behind boto3 differ.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar, cast

import boto3

from services.common.notifier import Notifier, SnsNotifier
from services.common.progress import DynamoProgressLog, ProgressLog

if TYPE_CHECKING:
    from services.scorer.interface import Scorer
    from services.simulated.credit_bureaus import CreditBureaus
    from services.simulated.training_providers import EnrollmentServices
    from services.training.audit import TrainingLog

T = TypeVar("T")


@dataclass(frozen=True)
class Adapters:
    """Every side effect a business step may have."""

    progress: ProgressLog  # the loan's workflow log (PROGRESS_TABLE)
    training: TrainingLog  # the training request's workflow log (TRAINING_TABLE)
    applicant_notifier: Notifier
    manager_notifier: Notifier
    employee_notifier: Notifier
    hr_notifier: Notifier
    bureaus: CreditBureaus
    scorer: Scorer  # services/scorer: Bedrock Converse, answered by the local model on the local runtime
    enrollment: EnrollmentServices  # the saga's counterparts: budget, provider, calendar
    lambda_client: Any  # boto3 clients (the durable callbacks, the fraud service's invoke, workflow starts)
    sfn_client: Any
    s3_client: Any


class MissingSetting(RuntimeError):
    pass


def setting(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise MissingSetting(
            f"environment variable {name} is not set; see catalog/functions.py for what each function needs"
        )
    return value


def bootstrap(**replacements: Any) -> Adapters:
    """The adapters from the environment, with ``replacements`` instead of some (tests). Each one reads its
    setting (a table, a topic, the model) on first use, so a function that never records progress needs no table."""
    from services.simulated.credit_bureaus import SimulatedCreditBureaus
    from services.simulated.training_providers import simulated

    built = Adapters(
        progress=_on_first_use(lambda: _progress_log(setting("PROGRESS_TABLE"))),
        training=_on_first_use(lambda: _training_log(setting("TRAINING_TABLE"))),
        applicant_notifier=_on_first_use(lambda: _sns_notifier(setting("APPLICANT_TOPIC_ARN"))),
        manager_notifier=_on_first_use(lambda: _sns_notifier(setting("MANAGER_TOPIC_ARN"))),
        employee_notifier=_on_first_use(lambda: _sns_notifier(setting("EMPLOYEE_TOPIC_ARN"))),
        hr_notifier=_on_first_use(lambda: _sns_notifier(setting("HR_TOPIC_ARN"))),
        bureaus=SimulatedCreditBureaus(),
        scorer=_on_first_use(lambda: _bedrock_scorer()),
        enrollment=simulated(),
        lambda_client=_on_first_use(lambda: _shared_client("lambda")),
        sfn_client=_on_first_use(lambda: _shared_client("stepfunctions")),
        s3_client=_on_first_use(lambda: _shared_client("s3")),
    )
    return replace(built, **replacements)


@cache
def wired() -> Adapters:
    """The process's adapters, built once: what the entry points hand to the business steps."""
    return bootstrap()


def reset() -> None:
    """Forget every adapter and client (a new local runtime starts with fresh endpoints and names)."""
    wired.cache_clear()
    _progress_log.cache_clear()
    _training_log.cache_clear()
    _sns_notifier.cache_clear()
    _shared_client.cache_clear()
    _bedrock_scorer.cache_clear()


class _OnFirstUse:
    """Stands for the object ``make()`` returns, made when first used."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make

    def __getattr__(self, name: str) -> Any:
        return getattr(self._make(), name)


def _on_first_use(make: Callable[[], T]) -> T:
    return cast(T, _OnFirstUse(make))


@cache
def _progress_log(table_name: str) -> DynamoProgressLog:
    """One log, shared by every thread: it talks to DynamoDB through a (thread-safe) client."""
    return DynamoProgressLog(_shared_client("dynamodb"), table_name)


@cache
def _training_log(table_name: str) -> TrainingLog:
    from services.training.audit import DynamoTrainingLog

    return DynamoTrainingLog(_shared_client("dynamodb"), table_name)


@cache
def _sns_notifier(topic_arn: str) -> SnsNotifier:
    return SnsNotifier(_shared_client("sns"), topic_arn)


_client_lock = threading.Lock()


@cache
def _shared_client(service: str) -> Any:
    """A boto3 client made under a lock: boto3's default session is not thread-safe."""
    with _client_lock:
        return boto3.client(service)


@cache
def _bedrock_scorer() -> Scorer:
    from services.scorer import scorer_from_environment

    with _client_lock:
        return scorer_from_environment()
