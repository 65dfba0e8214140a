"""A durable flow's Lambda entry point, with the adapters its steps use handed over explicitly and its logs keyed by
the application or request it is about.

Each flow is a function ``flow(adapters, event, context)``; its module's ``handler`` is
``durable_handler(flow, correlation)``, which hands it the process's adapters (services/common/bootstrap.wired) and
plugs the Powertools logger, keyed by ``correlation(event)``, into the context's replay-aware logger
(``context.logger``: a replay repeats no line). A test builds ``durable_handler(flow, correlation, lambda:
its_adapters)`` and runs that instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from aws_durable_execution_sdk_python import DurableContext, durable_execution

from services.common.bootstrap import Adapters, wired
from services.common.log import Correlation, caller_keys, correlation_of, durable_logger, logger, passing_on
from services.common.tracing import annotate, traced
from services.common.variants import Variant

T = TypeVar("T")

Flow = Callable[[Adapters, dict[str, Any], DurableContext], T]


def durable_handler(
    flow: Flow[T],
    correlation: Correlation | None = None,
    adapters: Callable[[], Adapters] = wired,
    variant: Variant | None = None,
) -> Callable[..., Any]:
    """The durable Lambda handler that runs ``flow`` with ``adapters()``, logging under ``correlation(event)`` and
    ``variant`` (the variant the flow belongs to: "durable" for a whole workflow, "hybrid" for a state machine's
    micro flow)."""

    @durable_execution
    def handler(event: dict[str, Any], context: DurableContext) -> T:
        correlation_id = correlation_of(correlation, event)
        annotate(correlation_id=correlation_id)
        # A hybrid micro flow's lines also name the Step Functions execution that started it (the event's log_context:
        # the durable execution's input, so every replay has it); the calls it makes pass on who is calling.
        callers = {**caller_keys(None, event), **({"variant": variant} if variant else {})}
        context.set_logger(durable_logger(correlation_id=correlation_id, flow=flow.__name__, **callers))
        context.logger.info("flow started")
        # What a step's own code logs (the scorer's lines) carries the flow's keys, its execution under the name the
        # context's logger gives it; a call the flow makes names it as the durable execution calling.
        execution_arn = context.state.durable_execution_arn
        step_keys = {"correlation_id": correlation_id, **callers, "executionArn": execution_arn}
        logger.thread_safe_append_keys(**step_keys)
        try:
            with passing_on({**callers, "durable_execution_arn": execution_arn}):
                result = flow(adapters(), event, context)
        except Exception as error:
            context.logger.error("flow failed: %s: %s", type(error).__name__, error)
            raise
        finally:
            logger.thread_safe_remove_keys(list(step_keys))
        context.logger.info("flow finished")
        return result

    handler.__doc__ = flow.__doc__
    return traced(handler)  # each invocation (a replay from the top) is one segment of the trace
