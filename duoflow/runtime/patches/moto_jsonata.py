"""JSONata in moto's ASL interpreter, evaluated by jsonata-python (``pins.PINNED["moto"]`` 5.2.5 and
``pins.PINNED["jsonata-python"]`` 0.7.1).

Fix (always installed): moto ships its JSONata evaluator as an empty stub (``moto.stepfunctions.parser.asl.jsonata.
jsonata._eval_jsonata``; LocalStack runs it on a JVM); :func:`evaluate` fills it with ``jsonata-python``, which
evaluates the same expressions in-process. Uninstalled, the stub is moto's again.

Fix (always installed): the functions Step Functions adds to JSONata (``$partition``, ``$range``, ``$hash``,
``$random`` with an optional seed, ``$uuid``, ``$parse``). moto declares them as JSONata text
(``get_intrinsic_functions_declarations`` in moto/stepfunctions/parser/asl/component/intrinsic/jsonata.py, and
the name string_expression.py imported): ``$hash`` and ``$uuid`` evaluate to the *string* "Function $uuid is
currently not supported" (the state succeeds with it), ``$random(seed)`` is refused by JSONata's own ``$random``,
and ``$parse`` is ``$eval`` (JSONata, not JSON). Here the six are Python functions (:data:`STEP_FUNCTIONS`)
bound into every evaluation, and moto's declarations are left out for them (its others, ``$randomSeeded``,
stay). docs/upstream/moto-jsonata-functions.md.

Fix (always installed): ``StringJSONata._eval_body`` (moto/stepfunctions/parser/asl/component/common/string/
string_expression.py). An expression that fails to evaluate (an unknown function, a wrong argument, ``$hash``
with an algorithm AWS does not offer) raises moto's ``JSONataException``, which nothing in moto catches: the
state dies with States.Runtime and the exception's repr as the cause. AWS fails the state with
States.QueryEvaluationError (a Catch can take it); here the hook turns the exception into that failure, with a
cause naming the expression and what went wrong (docs/upstream/moto-jsonata-errors.md).

Speed-up (left out with ``DUOFLOW_SPEEDUPS=0``), inside the same ``StringJSONata._eval_body`` hook. moto evaluates a JSONata expression
by writing every variable's value into the expression's text, parsing that text, and for a text result parsing and
evaluating it twice more to check its type. Here each expression is parsed once per concurrent use (programs are
pooled; moto evaluates each state on a new thread) and evaluated with the variables bound (which also spares
moto's text encoding, which does not escape quotes in strings); an undefined result and any error go through
moto's own path, so its checks and error events stay moto's. It relies on a jsonata-python internal:
``Jsonata.CURRENT`` (the thread's "current program", whose clock ``$now()`` and ``$millis()`` read), set when a
pooled program is reused as if it had just been built.

Guarded by tests/runtime/test_speedups.py, test_lifecycle.py and test_fidelity.py.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from duoflow.runtime.patches._patching import Patcher, Target

LIBRARIES = ("moto", "jsonata-python")

_EVALUATOR = Target("moto.stepfunctions.parser.asl.jsonata.jsonata", "_eval_jsonata")
_STRING_JSONATA = Target(
    "moto.stepfunctions.parser.asl.component.common.string.string_expression", "StringJSONata._eval_body"
)
_INTRINSICS = "moto.stepfunctions.parser.asl.component.intrinsic.jsonata"
_DECLARATIONS = tuple(
    Target(module, "get_intrinsic_functions_declarations")
    for module in (_INTRINSICS, "moto.stepfunctions.parser.asl.component.common.string.string_expression")
)
FIXES = (_EVALUATOR, *_DECLARATIONS, _STRING_JSONATA)
SPEEDUPS: tuple[Target, ...] = ()

_patcher = Patcher(FIXES, SPEEDUPS)


def _plain(value: Any) -> Any:
    """JSONata numbers are floats; Step Functions prints integral numbers as integers."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def plain_json(result: Any) -> Any:
    """A JSONata result as plain JSON data (its sequences become lists)."""
    return _plain(json.loads(json.dumps(result)))


# --- the functions Step Functions adds to JSONata ------------------------------------------------------------


class FunctionError(ValueError):
    """A Step Functions JSONata function refused its arguments; the message names the function."""


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _integer(function: str, name: str, value: Any) -> int:
    if not _is_number(value) or int(value) != value:
        raise FunctionError(f"{function}: {name} must be an integer, got {json.dumps(value)}")
    return int(value)


def _partition(array: Any = None, size: Any = None) -> list:
    if not isinstance(array, list):
        raise FunctionError("$partition: the first argument must be an array")
    chunk = _integer("$partition", "the chunk size", size)
    if chunk <= 0:
        raise FunctionError(f"$partition: the chunk size must be greater than 0, got {chunk}")
    return [list(array[start : start + chunk]) for start in range(0, len(array), chunk)]


def _range(start: Any = None, end: Any = None, step: Any = 1) -> list:
    first, last = _integer("$range", "the start", start), _integer("$range", "the end", end)
    increment = _integer("$range", "the step", step)
    if increment == 0:
        raise FunctionError("$range: the step must not be 0")
    values = list(range(first, last + (1 if increment > 0 else -1), increment))
    if len(values) > 1000:  # as States.ArrayRange: at most 1,000 items
        raise FunctionError(f"$range: the range has {len(values)} items, more than 1000")
    return values


HASH_ALGORITHMS = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


def _hash(value: Any = None, algorithm: Any = "SHA-256") -> str:
    if not isinstance(value, str):
        raise FunctionError("$hash: the value to hash must be a string")
    if algorithm not in HASH_ALGORITHMS:
        raise FunctionError(f"$hash: unsupported algorithm {json.dumps(algorithm)} ({', '.join(HASH_ALGORITHMS)})")
    return hashlib.new(HASH_ALGORITHMS[algorithm], value.encode()).hexdigest()


def _random(seed: Any = None) -> float:
    if seed is None:
        return random.random()
    return random.Random(_integer("$random", "the seed", seed)).random()


def _uuid() -> str:
    return str(uuid.uuid4())


def _parse(text: Any = None) -> Any:
    if not isinstance(text, str):
        raise FunctionError("$parse: the argument must be a string of JSON")
    try:
        return json.loads(text)
    except ValueError as error:
        raise FunctionError(f"$parse: not valid JSON ({error})") from None


# name (without "$") -> the function; bound into every evaluation (a variable of the same name assigned by the
# workflow still wins: it is bound in an inner scope)
STEP_FUNCTIONS: dict[str, Any] = {
    "partition": _partition,
    "range": _range,
    "hash": _hash,
    "random": _random,
    "uuid": _uuid,
    "parse": _parse,
}


def program(expression: str) -> Any:
    """A jsonata-python program of ``expression`` with the Step Functions functions bound."""
    import jsonata

    compiled = jsonata.Jsonata(expression)
    for name, function in STEP_FUNCTIONS.items():
        compiled.register_lambda(name, function)
    return compiled


def evaluate(expression: str) -> Any:
    from moto.stepfunctions.parser.asl.jsonata import jsonata as moto_jsonata

    try:
        result = program(expression).evaluate(None)
    except Exception as error:  # the StringJSONata hook turns this into States.QueryEvaluationError
        raise moto_jsonata.JSONataException("States.QueryEvaluationError", describe(error)) from error
    return plain_json(result)


def describe(error: Exception) -> str:
    """jsonata-python's message, with the function's name when it is a call of a function that does not exist
    (its T1006 says only "Attempted to invoke a non-function")."""
    if getattr(error, "error", None) == "T1006" and getattr(error, "current", None):
        return f"{error}: ${error.current} is not a function here"
    return str(error)


def install(speedups: bool = False) -> None:
    if _patcher.installed:
        return
    _patcher.replace(_EVALUATOR, evaluate)
    _install_functions()
    _install_query_errors(_install_programs() if speedups else None)
    _patcher.installed = True


def uninstall() -> None:
    _patcher.restore()


def _install_functions() -> None:
    from moto.stepfunctions.parser.asl.component.intrinsic import jsonata as intrinsics

    moto_declarations = intrinsics.get_intrinsic_functions_declarations
    ours = {f"${name}" for name in STEP_FUNCTIONS}

    def declarations(variable_references: set[str]) -> str:
        """moto's JSONata-text declarations, without the functions bound natively here."""
        return moto_declarations({reference for reference in variable_references if reference not in ours})

    for target in _DECLARATIONS:
        _patcher.replace(target, declarations)


def _install_query_errors(fast_eval_body: Any) -> None:
    """``StringJSONata._eval_body``: an expression that fails fails its state with States.QueryEvaluationError (and,
    with the speed-ups, ``fast_eval_body`` evaluates first)."""
    from moto.stepfunctions.parser.api import EvaluationFailedEventDetails, HistoryEventType
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.component.common.string.string_expression import StringJSONata
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
    from moto.stepfunctions.parser.asl.jsonata.jsonata import JSONataException

    moto_eval_body = StringJSONata._eval_body

    def eval_body(self: Any, env: Any) -> None:
        try:
            if fast_eval_body is not None:
                return fast_eval_body(self, env, moto_eval_body)
            return moto_eval_body(self, env)
        except JSONataException as error:
            name = StatesErrorName(typ=StatesErrorNameType.StatesQueryEvaluationError)
            cause = f"The JSONata expression '{self.expression}' could not be evaluated: {error.details}"
            details = EvaluationFailedEventDetails(error=name.error_name, cause=cause)
            failure = FailureEvent(
                env=env,
                error_name=name,
                event_type=HistoryEventType.EvaluationFailed,
                event_details=EventDetails(evaluationFailedEventDetails=details),
            )
            raise FailureEventException(failure_event=failure) from error

    _patcher.replace(_STRING_JSONATA, eval_body)


def _install_programs() -> Any:
    """The speed-up: returns the fast ``_eval_body(self, env, moto_eval_body)``, which leaves errors and undefined
    results to moto's own. (Installed after ``_install_functions``: the declarations it composes leave out the
    functions bound natively.)"""
    import jsonata
    from moto.stepfunctions.parser.asl.component.intrinsic.jsonata import get_intrinsic_functions_declarations
    from moto.stepfunctions.parser.asl.jsonata.jsonata import (
        compose_jsonata_expression,
        extract_jsonata_variable_references,
    )

    idle: dict[str, list[Any]] = {}  # expression -> programs no evaluation is using
    lock = threading.Lock()

    @contextmanager
    def program_for(expression: str) -> Iterator[Any]:
        """A parsed program of ``expression`` for this evaluation alone (a program keeps per-evaluation state),
        reused by later evaluations on any thread (moto evaluates each state on a new thread)."""
        with lock:
            programs = idle.setdefault(expression, [])
            pooled = programs.pop() if programs else None
        if pooled is None:
            functions = get_intrinsic_functions_declarations(extract_jsonata_variable_references(expression))
            pooled = program(compose_jsonata_expression(expression, [functions]))
        # $now() and $millis() read the time of "the current program" of the thread: building one makes it
        # current; a reused program is made current here, as if just built.
        jsonata.Jsonata.CURRENT.jsonata = pooled
        try:
            yield pooled
        finally:
            with lock:
                idle[expression].append(pooled)

    def evaluate_bound(expression: str, bindings: dict[str, Any]) -> Any:
        with program_for(expression) as pooled:
            return pooled.evaluate(None, bindings)

    def eval_body(self: Any, env: Any, moto_eval_body: Any) -> None:
        store = env.variable_store
        bindings = {"states": env.states._states_data, **store._outer_scope, **store._inner_scope}
        try:
            result = evaluate_bound(self.expression, bindings)
        except Exception:  # noqa: BLE001 - moto's path raises the error the way moto reports it
            return moto_eval_body(self, env)
        if result is None and not evaluate_bound(f"$exists({self.expression})", bindings):
            return moto_eval_body(self, env)  # undefined: moto raises its States.QueryEvaluationError
        env.stack.append(None if result is None else plain_json(result))
        return None

    return eval_body
