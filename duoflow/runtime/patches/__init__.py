"""The runtime's patches to library internals: one module per patched library (moto, by service), each naming the
pinned version it was written against (``duoflow.runtime.pins.PINNED``), what it hooks and why.

Each module declares its hooks as ``FIXES`` (always installed: the library departs from AWS, or the runtime plugs
its own part in) and ``SPEEDUPS`` (left out with ``DUOFLOW_SPEEDUPS=0``; they change nothing a workflow can
observe), and has ``install(...)`` and ``uninstall()``, which puts every original back exactly.
``LocalRuntime.start()`` installs them all here (:func:`install`), in ``MODULES`` order, and ``stop()`` uninstalls
them in reverse (:meth:`Installed.uninstall`). duoflow/runtime/README.md has the table.

``python_stdlib`` hooks the standard library (one environment per function, ``function_environment.py``): the
interpreter is not a pinned distribution, so it names no entry of ``pins.PINNED``.

Not here, because they are features built on hooks rather than patches: the journal keepers
(``keep_step_functions``, ``keep_moto_data``) and the S3 → EventBridge delivery (``s3_events``); see the README.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from duoflow.runtime.patches import (
    boto3_session,
    botocore_signing,
    botocore_user_agent,
    durable_sdk,
    moto_bedrock,
    moto_core,
    moto_dynamodb,
    moto_jsonata,
    moto_lambda,
    moto_s3,
    moto_stepfunctions,
    python_stdlib,
)
from duoflow.runtime.patches._patching import FIX, SPEEDUP, Target
from duoflow.runtime.time_control import TimeControl

SWITCH = "DUOFLOW_SPEEDUPS"  # "0" leaves the speed-ups out: the runtime then runs the libraries as they come

# installation order (uninstalled in reverse)
MODULES: tuple[ModuleType, ...] = (
    moto_core,
    moto_s3,
    moto_dynamodb,
    moto_stepfunctions,
    moto_jsonata,
    moto_lambda,
    moto_bedrock,
    durable_sdk,
    boto3_session,
    botocore_user_agent,
    botocore_signing,
    python_stdlib,
)

__all__ = ["FIX", "MODULES", "SPEEDUP", "SWITCH", "Installed", "Target", "install", "speedups_enabled", "targets"]


def speedups_enabled() -> bool:
    return os.environ.get(SWITCH, "1").strip() != "0"


def targets(speedups: bool) -> list[Target]:
    """Every attribute the patches replace (with ``speedups``: the speed-ups' too)."""
    return [target for module in MODULES for target in (*module.FIXES, *(module.SPEEDUPS if speedups else ()))]


@dataclass
class Installed:
    """The patches one runtime installed; :meth:`uninstall` removes them, the last installed first."""

    speedups: bool
    modules: list[ModuleType] = field(default_factory=list)

    def uninstall(self) -> None:
        while self.modules:
            self.modules.pop().uninstall()


def install(
    time_control: TimeControl,
    invoke: Callable[..., Any],
    durable_api: Callable[[], Any],
    speedups: bool,
    mock_config: Callable[[], Any] = lambda: None,
) -> Installed:
    """Install every patch module (fixes, and the speed-ups when ``speedups``). ``invoke`` answers moto's Lambda
    invokes, ``durable_api()`` gives what answers the durable APIs, ``mock_config()`` the Step Functions Local mock
    configuration test cases come from; moto's ASL timers run at ``time_control``.
    On an error, what was installed is uninstalled again before it propagates."""
    installed = Installed(speedups)
    steps: dict[ModuleType, Callable[[], None]] = {
        moto_core: lambda: moto_core.install(speedups),
        moto_s3: lambda: moto_s3.install(speedups),
        moto_dynamodb: lambda: moto_dynamodb.install(speedups),
        moto_stepfunctions: lambda: moto_stepfunctions.install(time_control, speedups, mock_config),
        moto_jsonata: lambda: moto_jsonata.install(speedups),
        moto_lambda: lambda: moto_lambda.install(invoke, durable_api),
        moto_bedrock: moto_bedrock.install,
        durable_sdk: lambda: durable_sdk.install(speedups),
        boto3_session: lambda: boto3_session.install(speedups),
        botocore_user_agent: lambda: botocore_user_agent.install(speedups),
        botocore_signing: lambda: botocore_signing.install(speedups),
        python_stdlib: python_stdlib.install,
    }
    try:
        for module in MODULES:
            installed.modules.append(module)  # before: a module that fails half-way is undone too
            steps[module]()
    except BaseException:
        installed.uninstall()
        raise
    return installed
