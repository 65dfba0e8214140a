"""The composition root: which adapter each side effect uses, decided once, from the environment.

Lambda handlers and durable steps call ``adapters()``; tests call ``use(...)`` to swap in fakes.
The same code runs in AWS and on the local runtime: only the endpoints behind boto3 differ.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

import boto3

from services.common.notifier import Notifier, SnsNotifier
from services.common.progress import DynamoProgressLog, ProgressLog
from services.simulated.credit_bureaus import CreditBureaus, SimulatedCreditBureaus


@dataclass(frozen=True)
class Adapters:
    progress: ProgressLog
    applicant_notifier: Notifier
    manager_notifier: Notifier
    bureaus: CreditBureaus
    lambda_client: Any
    sfn_client: Any
    # The training request's side effects (built on first use, so the loan's functions need none of their settings)
    training: Any = field(default_factory=lambda: _LazyTrainingLog())
    employee_notifier: Notifier = field(default_factory=lambda: _LazyNotifier("EMPLOYEE_TOPIC_ARN"))
    hr_notifier: Notifier = field(default_factory=lambda: _LazyNotifier("HR_TOPIC_ARN"))
    scorer: Any = field(default_factory=lambda: _LazyScorer())
    enrollment: Any = field(default_factory=lambda: _simulated_enrollment())
    s3_client: Any = field(default_factory=lambda: _LazyClient("s3"))


class MissingSetting(RuntimeError):
    pass


def setting(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise MissingSetting(
            f"environment variable {name} is not set; see catalog/functions.py for what each function needs"
        )
    return value


@cache
def _from_environment() -> Adapters:
    return Adapters(
        progress=_LazyProgress(),
        applicant_notifier=_LazyNotifier("APPLICANT_TOPIC_ARN"),
        manager_notifier=_LazyNotifier("MANAGER_TOPIC_ARN"),
        bureaus=SimulatedCreditBureaus(),
        lambda_client=boto3.client("lambda"),
        sfn_client=boto3.client("stepfunctions"),
    )


class _LazyProgress:
    """Reads PROGRESS_TABLE on first use, so a function that never records progress needs no table."""

    def __getattr__(self, name: str) -> Any:
        log = _progress_log(setting("PROGRESS_TABLE"))
        return getattr(log, name)


@cache
def _progress_log(table_name: str) -> DynamoProgressLog:
    """One log, shared by every thread: it talks to DynamoDB through a (thread-safe) client."""
    return DynamoProgressLog(_shared_client("dynamodb"), table_name)


class _LazyNotifier:
    def __init__(self, topic_setting: str) -> None:
        self._topic_setting = topic_setting

    def notify(self, subject: str, message: dict[str, Any]) -> None:
        _sns_notifier(setting(self._topic_setting)).notify(subject, message)


@cache
def _sns_notifier(topic_arn: str) -> SnsNotifier:
    return SnsNotifier(boto3.client("sns"), topic_arn)


class _LazyTrainingLog:
    """Reads TRAINING_TABLE on first use."""

    def __getattr__(self, name: str) -> Any:
        return getattr(_training_log(setting("TRAINING_TABLE")), name)


@cache
def _training_log(table_name: str) -> Any:
    from services.training.audit import DynamoTrainingLog

    return DynamoTrainingLog(_shared_client("dynamodb"), table_name)


_client_lock = threading.Lock()


class _LazyClient:
    """A boto3 client made on first use (under a lock: boto3's default session is not thread-safe)."""

    def __init__(self, service: str) -> None:
        self._service = service

    def __getattr__(self, name: str) -> Any:
        return getattr(_shared_client(self._service), name)


@cache
def _shared_client(service: str) -> Any:
    with _client_lock:
        return boto3.client(service)


class _LazyScorer:
    """The training screening's model (services/scorer: SCORER, default bedrock: Amazon Bedrock Converse with
    SCORER_MODEL_ID); on the local runtime the same Converse call is answered by the local model."""

    def score(self, request: Any) -> Any:
        return _bedrock_scorer().score(request)


@cache
def _bedrock_scorer() -> Any:
    from services.scorer import scorer_from_environment

    with _client_lock:
        return scorer_from_environment()


def _simulated_enrollment() -> Any:
    from services.simulated.training_providers import simulated

    return simulated()


_override: Adapters | None = None


def adapters() -> Adapters:
    return _override or _from_environment()


def use(**replacements: Any) -> None:
    """Replace some adapters (tests); ``reset()`` goes back to the environment's."""
    global _override
    _override = replace(adapters(), **replacements)


def reset() -> None:
    """Forget every adapter and client (a new local runtime starts with fresh endpoints and names)."""
    global _override
    _override = None
    _from_environment.cache_clear()
    _progress_log.cache_clear()
    _training_log.cache_clear()
    _sns_notifier.cache_clear()
    _shared_client.cache_clear()
    _bedrock_scorer.cache_clear()
