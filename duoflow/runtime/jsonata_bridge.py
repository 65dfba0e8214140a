"""JSONata for moto's ASL interpreter: moto 5.2.5 ships the evaluator as an empty stub (LocalStack runs it on
a JVM); ``jsonata-python`` evaluates the same expressions in-process."""

from __future__ import annotations

import json
from typing import Any

import jsonata
from moto.stepfunctions.parser.asl.jsonata import jsonata as moto_jsonata


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
    try:
        result = jsonata.Jsonata(expression).evaluate(None)
    except Exception as error:  # moto turns this into States.QueryEvaluationError
        raise moto_jsonata.JSONataException("States.QueryEvaluationError", str(error)) from error
    return plain_json(result)


def install() -> None:
    moto_jsonata._eval_jsonata = evaluate
