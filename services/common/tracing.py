"""Traces: Powertools Tracer (AWS X-Ray) on every handler, annotated with the correlation id — in AWS. Off locally.

The Tracer needs the X-Ray SDK. The Lambda bundle carries it (infra/bundling.py, ``LAMBDA_DISTRIBUTIONS``) and the
functions and state machines run with X-Ray active (infra/functions.py, infra/state_machines.py), so a trace shows
the API, the Step Functions execution and every function it calls, each segment annotated with the application id
or the training request id (X-Ray's console and Transaction Search filter on annotations:
``annotation.correlation_id = "APPLICATION_ID"``).

Locally there is no X-Ray daemon to send to: the runtime sets ``POWERTOOLS_TRACE_DISABLED=true`` for every function
(duoflow/runtime/runtime.py), and where the SDK is not installed at all tracing is off too. Off means ``traced``
returns the handler as it is and ``annotate`` does nothing: neither the Tracer nor the SDK is imported.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, TypeVar

H = TypeVar("H", bound=Callable[..., Any])

TRACE_DISABLED = "POWERTOOLS_TRACE_DISABLED"


def tracing_on() -> bool:
    """X-Ray tracing is wanted (not disabled by ``POWERTOOLS_TRACE_DISABLED``) and its SDK is installed."""
    if os.environ.get(TRACE_DISABLED, "").strip().lower() in ("1", "true", "yes"):
        return False
    return _sdk_installed()


@functools.cache
def _sdk_installed() -> bool:
    try:
        import aws_xray_sdk  # noqa: F401 (Powertools' Tracer imports it lazily; asked here, once)
    except ImportError:
        return False
    return True


@functools.cache
def _tracer() -> Any:
    from aws_lambda_powertools import Tracer  # the SDK is installed: tracing_on() said so

    return Tracer()


def traced(handler: H) -> H:
    """The handler in a trace segment of its own (cold start, response and error recorded), when tracing is on."""
    if not tracing_on():
        return handler
    # Not the response: a handler that returns an application would put its SIN digits and income into the trace.
    return _tracer().capture_lambda_handler(handler, capture_response=False)


def annotate(**annotations: str | None) -> None:
    """Annotate the current trace segment (searchable in X-Ray); values that are None are left out."""
    if not tracing_on():
        return
    for key, value in annotations.items():
        if value is not None:
            _tracer().put_annotation(key=key, value=value)
