"""Typed durable steps: a flow calls a business step (services/loan, services/training: models in, model out)
through ``run_step``, and gets the model back, the first time and on every replay. The checkpoint holds the model's
JSON, written and read by pydantic (the SDK's ``StepConfig.serdes``), so no flow dumps a model to a dict and
validates it back.

Checkpoints written before the flows were typed hold the SDK's own envelope (``{"t": ..., "v": ...}``); they are
read with the SDK's serializer and then validated, so an execution in flight across the upgrade resumes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from aws_durable_execution_sdk_python import DurableContext
from aws_durable_execution_sdk_python.concurrency.models import BatchResult
from aws_durable_execution_sdk_python.config import ParallelConfig, StepConfig
from aws_durable_execution_sdk_python.serdes import ExtendedTypeSerDes, SerDes, SerDesContext
from pydantic import TypeAdapter, ValidationError

from domain.validation import FieldError, InputInvalid

T = TypeVar("T")


class ModelSerDes(SerDes[T]):
    """A step result of type ``T`` (a pydantic model, a list of them, ``None`` …) as its JSON."""

    def __init__(self, result_type: Any) -> None:
        self._adapter: TypeAdapter[T] = TypeAdapter(result_type)

    def serialize(self, value: T, serdes_context: SerDesContext) -> str:
        return self._adapter.dump_json(value).decode()

    def deserialize(self, data: str, serdes_context: SerDesContext) -> T:
        if _is_sdk_envelope(data):
            return self._written_before_typing(ExtendedTypeSerDes().deserialize(data, serdes_context))
        return self._adapter.validate_json(data)

    def _written_before_typing(self, value: Any) -> T:
        """The untyped flows returned the model's dict, or wrapped an answer in a one-key dict
        ({"application": ...} / {"invalid": [...]}, {"screening": ...} / {"failed": "..."}, ...)."""
        try:
            return self._adapter.validate_python(value)
        except ValidationError:
            if isinstance(value, dict) and len(value) == 1:
                return self._adapter.validate_python(next(iter(value.values())))
            raise


class BatchOfModels(SerDes[BatchResult]):
    """A parallel's result (the SDK's ``BatchResult``) whose branches each return an ``item_type``: the batch as
    the SDK's own dictionary, each branch's result as its JSON."""

    def __init__(self, item_type: Any) -> None:
        self._item: TypeAdapter[Any] = TypeAdapter(item_type)

    def serialize(self, value: BatchResult, serdes_context: SerDesContext) -> str:
        batch = value.to_dict()
        for item in batch["all"]:
            item["result"] = self._item.dump_python(item["result"], mode="json") if item["result"] is not None else None
        return json.dumps(batch)

    def deserialize(self, data: str, serdes_context: SerDesContext) -> BatchResult:
        if _is_sdk_envelope(data):
            batch = ExtendedTypeSerDes().deserialize(data, serdes_context).to_dict()
        else:
            batch = json.loads(data)
        for item in batch["all"]:
            item["result"] = self._item.validate_python(item["result"]) if item["result"] is not None else None
        return BatchResult.from_dict(batch)


def parallel_of(item_type: Any) -> ParallelConfig:
    """A parallel whose branches each return an ``item_type``, checkpointed as JSON (branches and batch)."""
    return ParallelConfig(serdes=BatchOfModels(item_type), item_serdes=ModelSerDes(item_type))


def _is_sdk_envelope(data: str) -> bool:
    if not data.startswith('{"t":'):
        return False
    parsed = json.loads(data)
    return isinstance(parsed, dict) and parsed.keys() == {"t", "v"}


def typed(config: StepConfig | None, result_type: Any) -> StepConfig:
    """``config`` (retries, semantics) with the serializer of ``result_type``."""
    return replace(config or StepConfig(), serdes=ModelSerDes(result_type))


def run_intake(
    context: DurableContext,
    name: str,
    record: Callable[..., T],
    *arguments: Any,
    returns: Any,
    invalid: type[InputInvalid],
    config: StepConfig | None = None,
) -> T:
    """The intake step: ``record(*arguments)``'s result, or the rules the input breaks (``invalid`` with its
    errors), checkpointed as an answer rather than retried as a failure, then raised outside the step."""

    def recorded_or_refused(*arguments: Any) -> Any:
        try:
            return record(*arguments)
        except invalid as refused:
            return refused.errors

    recorded = run_step(
        context, name, recorded_or_refused, *arguments, returns=returns | list[FieldError], config=config
    )
    if isinstance(recorded, list):
        raise invalid(recorded)
    return recorded


def run_step(
    context: DurableContext,
    name: str,
    step: Callable[..., T],
    *arguments: Any,
    returns: Any,
    config: StepConfig | None = None,
) -> T:
    """Run ``step(*arguments)`` as the durable step ``name``; its result, of type ``returns``, is checkpointed."""
    return context.step(lambda _step_context: step(*arguments), name=name, config=typed(config, returns))
