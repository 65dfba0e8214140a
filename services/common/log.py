"""Structured logs: one Powertools Logger (JSON lines) for every function, with the keys an on-call engineer follows a
run by — the correlation id (the application id or the training request id), the function, the Lambda request id,
cold start — on every line of an invocation, and nothing that identifies an applicant (no SIN digits, no income).

A Lambda handler is wrapped in ``logged(correlation)``: it logs "invoked" and "answered" with its duration (or
"failed" at ERROR, with the error and its traceback), and every line in between carries the invocation's keys; in
AWS the invocation is also traced, annotated with the correlation id (services/common/tracing.py).
The keys are kept per thread (the local runtime runs many invocations at once in one process; Lambda runs one),
so two invocations never mix them.
A durable flow logs through its context's replay-aware logger (``durable_logger``), Powertools plugged in, so a
replay repeats no line.

Who called an invocation — the Step Functions execution, the variant, the durable execution — reaches its lines by
one of two roads, since Lambda hands a ``ClientContext`` to synchronous invocations only: a state machine's Lambda
task passes it as the ClientContext; an asynchronous call (a state machine starting a durable micro flow, a flow
asking the fraud service) carries it in the event's ``log_context`` field (``passed_on_log_context``).
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import re
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any, TypeVar

from aws_lambda_powertools import Logger

from services.common.tracing import annotate, traced

SERVICE = "duoflow"
# Fields that identify an applicant or say what they earn: never written to a log line, whatever logs them.
HIDDEN_FIELDS = frozenset({"sin_last4", "annual_income", "income", "monthly_debt_payments"})
HIDDEN = "(hidden)"


class _Stdout(logging.StreamHandler):
    """Writes to whatever ``sys.stdout`` is when a line is written (Lambda's stdout goes to CloudWatch Logs; a test
    runner swaps it), unless ``setStream`` pointed it elsewhere (the local runtime's log file)."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)
        self._stream: Any = None

    @property
    def stream(self) -> Any:
        return self._stream if self._stream is not None else sys.stdout

    @stream.setter
    def stream(self, value: Any) -> None:
        self._stream = value

    def setStream(self, stream: Any) -> Any:  # noqa: N802 (logging's name)
        """Write to ``stream`` from now on (None: stdout again); returns what it wrote to before, to restore."""
        previous = self._stream
        self.flush()
        self._stream = stream
        return previous


logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", SERVICE), use_rfc3339=True, logger_handler=_Stdout())

T = TypeVar("T")


def write_line(document: Mapping[str, Any]) -> None:
    """Write ``document`` as one JSON line where the log lines go, without the logger's keys: a line CloudWatch Logs
    reads as it is, such as an embedded-metric-format document (stdout in Lambda, as Powertools Metrics prints its
    own; locally the runtime's log file, where ``duoflow metrics`` reads it)."""
    handler = logger.registered_handler
    text = json.dumps(document, separators=(",", ":"), default=str)
    handler.acquire()  # one line at a time, as the logger writes its own
    try:
        handler.stream.write(text + "\n")
        handler.flush()
    finally:
        handler.release()


Correlation = Callable[[Any], str | None]
_warm: set[str] = set()


def logged(correlation: Correlation) -> Callable[[Callable[[Any, Any], T]], Callable[[Any, Any], T]]:
    """Wrap a Lambda handler: ``correlation(event)`` names the application or request the invocation is about."""

    def wrap(handler: Callable[[Any, Any], T]) -> Callable[[Any, Any], T]:
        @functools.wraps(handler)
        def invoke(event: Any, context: Any) -> T:
            function = getattr(context, "function_name", handler.__module__)
            cold_start = function not in _warm
            _warm.add(function)
            correlation_id = correlation_of(correlation, event)
            annotate(correlation_id=correlation_id)
            callers = caller_keys(context, event)
            logger.thread_safe_append_keys(
                correlation_id=correlation_id,
                function=function,
                function_request_id=getattr(context, "aws_request_id", None),
                cold_start=cold_start,
                **callers,
            )
            began = time.perf_counter()
            try:
                logger.info("invoked")
                with passing_on(callers):
                    result = handler(event, context)
            except Exception as error:
                logger.error("failed: %s: %s", type(error).__name__, error, exc_info=error)
                raise
            else:
                logger.info("answered", extra={"duration_ms": round((time.perf_counter() - began) * 1000, 3)})
                return result
            finally:
                logger.thread_safe_clear_keys()

        return traced(invoke)

    return wrap


# Who called an invocation, as its log lines name it.
CALLER_KEYS = ("sfn_execution_arn", "variant", "durable_execution_arn")
LOG_CONTEXT = "log_context"  # the event field an asynchronous call carries them in
# The caller keys of the invocation running in this thread (or asyncio task), for the calls it makes in turn.
_calling: ContextVar[Mapping[str, str] | None] = ContextVar("duoflow_log_caller_keys", default=None)


def caller_keys(context: Any, event: Any = None) -> dict[str, str]:
    """The Step Functions execution, the variant and the durable execution that called this invocation: from the
    ``ClientContext`` every Lambda task of the state machines passes (catalog/state_machines.py ``log_context``), or
    from the event's ``log_context`` field an asynchronous caller passes on; none for other callers."""
    custom = getattr(getattr(context, "client_context", None), "custom", None)
    passed = event.get(LOG_CONTEXT) if isinstance(event, Mapping) else None
    keys: dict[str, str] = {}
    for source in (passed, custom):  # the ClientContext wins: Lambda itself handed it over
        if isinstance(source, Mapping):
            keys.update({key: source[key] for key in CALLER_KEYS if isinstance(source.get(key), str)})
    return keys


def passed_on_log_context() -> dict[str, dict[str, str]]:
    """The ``log_context`` field for an asynchronous call this invocation makes, so the callee's lines name the same
    Step Functions execution, variant and durable execution (``passing_on`` says which)."""
    keys = dict(_calling.get() or {})
    return {LOG_CONTEXT: keys} if keys else {}


@contextlib.contextmanager
def passing_on(keys: Mapping[str, str]) -> Iterator[None]:
    """While inside, ``passed_on_log_context`` passes ``keys`` on: who called the invocation running here."""
    token = _calling.set(dict(keys))
    try:
        yield
    finally:
        _calling.reset(token)


def correlation_of(correlation: Correlation | None, event: Any) -> str | None:
    """The id ``correlation`` finds in ``event``, or None: logging never fails an invocation."""
    if correlation is None:
        return None
    try:
        return correlation(event)
    except Exception:  # an event without the id: the handler's own validation says what is wrong with it
        return None


def at(*path: str) -> Correlation:
    """The correlation id at ``path`` in the event (``at("application", "application_id")``)."""

    def find(event: Any) -> str | None:
        for key in path:
            event = event[key]
        return event if isinstance(event, str) else None

    return find


class _DurableLogger:
    """The Powertools logger with a flow's correlation keys, as the durable context's logger (which adds the
    execution ARN and the operation, and drops what a replay logs again)."""

    def __init__(self, keys: Mapping[str, object]) -> None:
        self._keys = dict(keys)

    def _log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        kwargs["extra"] = {**self._keys, **(kwargs.get("extra") or {})}
        kwargs.setdefault("stacklevel", 3)
        logger.log(level, msg, *args, **kwargs)

    def debug(self, msg: object, *args: object, **kwargs: Any) -> None:
        self._log(logging.DEBUG, msg, *args, **kwargs)

    def info(self, msg: object, *args: object, **kwargs: Any) -> None:
        self._log(logging.INFO, msg, *args, **kwargs)

    def warning(self, msg: object, *args: object, **kwargs: Any) -> None:
        self._log(logging.WARNING, msg, *args, **kwargs)

    def error(self, msg: object, *args: object, **kwargs: Any) -> None:
        self._log(logging.ERROR, msg, *args, **kwargs)

    def exception(self, msg: object, *args: object, **kwargs: Any) -> None:
        kwargs.setdefault("exc_info", True)
        self._log(logging.ERROR, msg, *args, **kwargs)


def durable_logger(**keys: object) -> _DurableLogger:
    """What a durable flow plugs into its context: ``context.set_logger(durable_logger(correlation_id=...))``."""
    return _DurableLogger(keys)


class _HideApplicantData(logging.Filter):
    """The last line of defence: a field that identifies an applicant is masked in any record, and digits that
    follow "sin" in a message are hidden."""

    _SIN_IN_TEXT = re.compile(r"(?i)(sin[_ ]?(?:last ?4)?\W{0,3})\d{4}")

    def filter(self, record: logging.LogRecord) -> bool:
        for name in HIDDEN_FIELDS & record.__dict__.keys():
            setattr(record, name, HIDDEN)
        if isinstance(record.msg, str):
            record.msg = self._SIN_IN_TEXT.sub(rf"\1{HIDDEN}", record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_hidden(arg) for arg in record.args)
        elif isinstance(record.args, Mapping):  # logging's form for one mapping argument
            record.args = _hidden(record.args)
        return True


def _hidden(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: HIDDEN if key in HIDDEN_FIELDS else _hidden(item) for key, item in value.items()}
    return value


logger.addFilter(_HideApplicantData())
