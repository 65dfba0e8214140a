"""The shape of a catalog entry: a Lambda function (``FunctionSpec``) and an environment value that names a deployed
resource (``ResourceRef``). The local runtime runs them, the CDK app deploys them; neither defines them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ResourceRef:
    """An environment value that names a deployed resource (a table, a topic, a function, a state machine).

    Locally it resolves to the runtime's name for the resource; in CDK, to the construct's name or ARN.
    """

    kind: str  # "table" | "topic" | "function" | "state_machine" | "bucket"
    logical_name: str
    attribute: str = "name"  # "name" | "arn"


EnvValue = str | ResourceRef


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    handler: str  # "package.module.function", as Lambda's Handler setting
    description: str
    durable: bool = False
    memory_mb: int = 256
    timeout_seconds: int = 30
    # Durable functions only: the whole execution's limit; longer than the longest wait inside it.
    durable_execution_timeout_seconds: int | None = None
    durable_retention_days: int = 7
    environment: Mapping[str, EnvValue] = field(default_factory=dict)
    # Local runtime only: handlers run in threads of one process. A handler that keeps per-event state at module
    # level (a Powertools event resolver) is not thread-safe and gets one event at a time, like one container.
    thread_safe: bool = True
    # Local runtime only: folders the function's code is imported from, searched first while it runs (its CodeUri or
    # CDK asset, then the packages its requirements.txt installed: duoflow/runtime/function_code.py). Empty: the
    # handler is a module of this project, imported from the process's sys.path.
    code_paths: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.durable and not self.durable_execution_timeout_seconds:
            raise ValueError(f"durable function {self.name} needs durable_execution_timeout_seconds")
        if not self.durable and self.durable_execution_timeout_seconds is not None:
            raise ValueError(f"{self.name} is not durable but sets durable_execution_timeout_seconds")

    def load_handler(self) -> Callable:
        """The handler, imported from the process's sys.path (a spec with ``code_paths`` is loaded by the local
        runtime from its own folders instead)."""
        module_name, _, attribute = self.handler.rpartition(".")
        return getattr(importlib.import_module(module_name), attribute)
