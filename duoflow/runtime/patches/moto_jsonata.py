"""JSONata in moto's ASL interpreter, evaluated by jsonata-python (``pins.PINNED["moto"]`` 5.2.5 and
``pins.PINNED["jsonata-python"]`` 0.7.1).

Fix (always installed): moto ships its JSONata evaluator as an empty stub (``moto.stepfunctions.parser.asl.jsonata.
jsonata._eval_jsonata``; LocalStack runs it on a JVM); :func:`evaluate` fills it with ``jsonata-python``, which
evaluates the same expressions in-process. Uninstalled, the stub is moto's again.

Speed-up (left out with ``DUOFLOW_SPEEDUPS=0``): ``StringJSONata._eval_body``. moto evaluates a JSONata expression
by writing every variable's value into the expression's text, parsing that text, and for a text result parsing and
evaluating it twice more to check its type. Here each expression is parsed once per concurrent use (programs are
pooled; moto evaluates each state on a new thread) and evaluated with the variables bound (which also spares
moto's text encoding, which does not escape quotes in strings); an undefined result and any error go through
moto's own path, so its checks and error events stay moto's. It relies on a jsonata-python internal:
``Jsonata.CURRENT`` (the thread's "current program", whose clock ``$now()`` and ``$millis()`` read), set when a
pooled program is reused as if it had just been built.

Guarded by tests/runtime/test_speedups.py and test_lifecycle.py.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from duoflow.runtime.patches._patching import Patcher, Target

LIBRARIES = ("moto", "jsonata-python")

_EVALUATOR = Target("moto.stepfunctions.parser.asl.jsonata.jsonata", "_eval_jsonata")
_STRING_JSONATA = Target(
    "moto.stepfunctions.parser.asl.component.common.string.string_expression", "StringJSONata._eval_body"
)
FIXES = (_EVALUATOR,)
SPEEDUPS = (_STRING_JSONATA,)

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


def evaluate(expression: str) -> Any:
    import jsonata
    from moto.stepfunctions.parser.asl.jsonata import jsonata as moto_jsonata

    try:
        result = jsonata.Jsonata(expression).evaluate(None)
    except Exception as error:  # moto turns this into States.QueryEvaluationError
        raise moto_jsonata.JSONataException("States.QueryEvaluationError", str(error)) from error
    return plain_json(result)


def install(speedups: bool = False) -> None:
    if _patcher.installed:
        return
    _patcher.replace(_EVALUATOR, evaluate)
    if speedups:
        _install_programs()
    _patcher.installed = True


def uninstall() -> None:
    _patcher.restore()


def _install_programs() -> None:
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
            program = programs.pop() if programs else None
        if program is None:
            functions = get_intrinsic_functions_declarations(extract_jsonata_variable_references(expression))
            program = jsonata.Jsonata(compose_jsonata_expression(expression, [functions]))
        # $now() and $millis() read the time of "the current program" of the thread: building one makes it
        # current; a reused program is made current here, as if just built.
        jsonata.Jsonata.CURRENT.jsonata = program
        try:
            yield program
        finally:
            with lock:
                idle[expression].append(program)

    def evaluate_bound(expression: str, bindings: dict[str, Any]) -> Any:
        with program_for(expression) as program:
            return program.evaluate(None, bindings)

    def eval_body(self: Any, env: Any) -> None:
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

    moto_eval_body = _patcher.replace(_STRING_JSONATA, eval_body)
