"""One environment per function: what ``os.environ`` shows a handler while it runs.

In AWS each function runs in its own execution environment with its own variables. Here every function shares one
process, so the runtime keeps each function's variables in a :class:`FunctionEnvironment` (an *overlay* over the
process environment) and marks the one that is running in a context variable, :data:`RUNNING`:

* the Lambda host and the durable host set it around every handler call (:func:`running_as`), and around the
  import of each handler (Lambda's cold start: module-level code reads its own function's variables);
* ``os.environ`` (and so ``os.getenv``) reads the running function's overlay first, then the process
  environment; a write or a delete by a handler changes its function's overlay only
  (``patches/python_stdlib.py`` hooks ``os._Environ``);
* a thread started, or a task submitted to a ``ThreadPoolExecutor``, while a function runs carries that
  function's overlay (the durable SDK runs a handler and its parallel branches on pools of its own, which copy
  no context; Python 3.11's threads start with an empty context); the same hooks.

Outside any handler (the runtime's own threads, the caller of the runtime) nothing changes: ``os.environ`` is the
process environment. duoflow/runtime/README.md ("One environment per function") says what a function sees.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager

# Lambda's reserved variables (AWS refuses a function configuration that sets them: "Lambda was unable to
# configure your environment variables because the environment variables you have provided contains reserved
# keys"), and the variables the local runtime sets for every function. A function setting one would change the
# credentials, region or time scale the runtime itself works with in that function's threads.
LAMBDA_RESERVED = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)
RUNTIME_SET = frozenset({"MOTO_ACCOUNT_ID", "DUOFLOW_TIME_SCALE"})


DELETED = object()  # FunctionEnvironment.lookup: the function deleted the variable


class ReservedEnvironmentVariable(ValueError):
    """A catalog function sets a variable Lambda reserves, or one the runtime sets for every function."""


def check_not_reserved(function_name: str, keys: Iterable[str]) -> None:
    reserved = sorted(key for key in keys if key in LAMBDA_RESERVED or key in RUNTIME_SET)
    if reserved:
        raise ReservedEnvironmentVariable(
            f"function {function_name!r} sets {', '.join(reserved)}: reserved by Lambda or set by the runtime for "
            "every function (AWS refuses reserved keys in a function's configuration); remove it from the catalog"
        )


class FunctionEnvironment:
    """One function's variables over the process environment: its catalog values, then what its handlers wrote.

    Shared by every invocation of the function, concurrent ones included (a write persists for the function's
    later invocations, as it does in one warm Lambda execution environment); never seen by another function."""

    def __init__(
        self, function_name: str, values: Mapping[str, str] | None = None, code_paths: tuple[str, ...] = ()
    ) -> None:
        self.function_name = function_name
        self.code_paths = code_paths  # the folders its imports come from first (function_code.py)
        self._values: dict[str, str] = dict(values or {})
        self._removed: set[str] = set()  # deleted by a handler: hidden even when the process has it
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"FunctionEnvironment({self.function_name!r}, {self.as_dict()!r})"

    # --- as os.environ reads and writes it (patches/python_stdlib.py) --------------------------------------------

    def lookup(self, key: str) -> str | object | None:
        """The function's value for ``key``; DELETED when a handler deleted it; None when the overlay does not
        have it (the process environment answers)."""
        value = self._values.get(key)
        if value is not None:
            return value
        return DELETED if key in self._removed else None

    def set(self, key: str, value: str) -> None:
        with self._lock:
            self._values[key] = value
            self._removed.discard(key)

    def delete(self, key: str, in_process: bool) -> None:
        """Hide ``key`` from the function (``in_process``: the process environment has it). KeyError when the
        function does not see it."""
        with self._lock:
            if key in self._values:
                del self._values[key]
            elif key in self._removed or not in_process:
                raise KeyError(key)
            self._removed.add(key)

    def keys_over(self, process_keys: Iterable[str]) -> list[str]:
        """The names the function sees: the process's (less those it deleted or overrides), then its own."""
        with self._lock:
            hidden = self._removed | self._values.keys()
            return [key for key in process_keys if key not in hidden] + list(self._values)

    # --- for the runtime and its callers -------------------------------------------------------------------------

    def as_dict(self) -> dict[str, str]:
        """The function's own variables (not the process environment under them)."""
        with self._lock:
            return dict(self._values)

    def __getitem__(self, key: str) -> str:
        value = self.lookup(key)
        if not isinstance(value, str):
            raise KeyError(key)
        return value

    def update(self, values: Mapping[str, str]) -> None:
        with self._lock:
            self._values.update(values)
            self._removed.difference_update(values)

    @contextmanager
    def overridden(self, **values: str) -> Iterator[FunctionEnvironment]:
        """Give the function other values for a while (a benchmark that makes a simulated service answer at
        once); the previous values (or their absence) come back on exit."""
        with self._lock:
            saved = {key: self._values.get(key) for key in values}
            removed = {key for key in values if key in self._removed}
        self.update(values)
        try:
            yield self
        finally:
            with self._lock:
                for key, value in saved.items():
                    if value is None:
                        self._values.pop(key, None)
                    else:
                        self._values[key] = value
                self._removed.update(removed)


# The function whose handler this thread is running (None: no handler, the process environment as it is).
RUNNING: contextvars.ContextVar[FunctionEnvironment | None] = contextvars.ContextVar(
    "duoflow_function_environment", default=None
)


@contextmanager
def running_as(environment: FunctionEnvironment | None) -> Iterator[None]:
    """Run the block as the function ``environment`` belongs to (None: as no function)."""
    token = RUNNING.set(environment)
    try:
        yield
    finally:
        RUNNING.reset(token)


def current() -> FunctionEnvironment | None:
    return RUNNING.get()
