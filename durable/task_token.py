"""How a durable function called by a Step Functions Task answers it.

The Task passes ``$$.Task.Token`` in the payload and waits (``.waitForTaskToken``). The durable function's
last step sends the result with ``SendTaskSuccess``; if the flow fails, a step sends ``SendTaskFailure`` with
the exception's class name as the error, which the state machine's ``Catch`` matches. Both are steps, so a
replay never answers twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from aws_durable_execution_sdk_python import DurableContext, StepContext
from aws_durable_execution_sdk_python.exceptions import UnrecoverableError

from services.common.bootstrap import Adapters

T = TypeVar("T")

MAX_CAUSE_LENGTH = 32_000  # Step Functions caps a failure cause at 32,768 characters


def run_for_task_token(
    context: DurableContext, adapters: Adapters, task_token: str, flow: Callable[[], dict[str, Any]]
) -> dict[str, Any]:
    """Run ``flow`` and answer the calling state machine with its result or its failure."""
    try:
        result = flow()
    except UnrecoverableError:
        raise  # the SDK's own failure (checkpointing); the durable execution fails and the Task times out
    except Exception as error:
        error_name, cause = type(error).__name__, str(error)[:MAX_CAUSE_LENGTH]

        def send_failure(_: StepContext) -> None:
            adapters.sfn_client.send_task_failure(taskToken=task_token, error=error_name, cause=cause)

        context.step(send_failure, name="report failure to the workflow")
        raise

    def send_success(_: StepContext) -> None:
        adapters.sfn_client.send_task_success(taskToken=task_token, output=json.dumps(result))

    context.step(send_success, name="answer the workflow")
    return result
