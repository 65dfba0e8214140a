"""A durable flow's Lambda entry point, with the adapters its steps use handed over explicitly.

Each flow is a function ``flow(adapters, event, context)``; its module's ``handler`` is
``durable_handler(flow)``, which hands it the process's adapters (services/common/bootstrap.wired). A test builds
``durable_handler(flow, lambda: its_adapters)`` and runs that instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from aws_durable_execution_sdk_python import DurableContext, durable_execution

from services.common.bootstrap import Adapters, wired

T = TypeVar("T")

Flow = Callable[[Adapters, dict[str, Any], DurableContext], T]


def durable_handler(flow: Flow[T], adapters: Callable[[], Adapters] = wired) -> Callable[..., Any]:
    """The durable Lambda handler that runs ``flow`` with ``adapters()``."""

    @durable_execution
    def handler(event: dict[str, Any], context: DurableContext) -> T:
        return flow(adapters(), event, context)

    handler.__doc__ = flow.__doc__
    return handler
