"""duoflow/bench/cpu_split.py: each AWS call keeps only its own CPU; what runs inside it goes to whoever ran it."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.client import BaseClient

from duoflow.bench import cpu_split
from duoflow.runtime.lambda_host import LambdaHost

OUTER_CPU, INNER_CPU = 0.03, 0.06  # seconds each canned answer burns before answering


class _Body:
    def __init__(self, content: bytes) -> None:
        self._content = content

    def stream(self, **_: object):
        yield self._content

    def read(self, *_: object, **__: object) -> bytes:
        return self._content


def _burn(seconds: float) -> None:
    """Spend ``seconds`` of this thread's CPU (CPU time, not a wait)."""
    until = time.thread_time() + seconds
    while time.thread_time() < until:
        pass


def _client(name: str):
    return boto3.client(
        name,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="y",
        endpoint_url="http://127.0.0.1:9",
    )


def _answering(client, answer: Callable[[], object]) -> None:
    """``client``'s requests answered here, in the calling thread, as the runtime answers them in-process, after
    ``answer()``."""

    def canned(request, **_: object) -> AWSResponse:
        answer()
        return AWSResponse(request.url, 200, {"content-type": "application/x-amz-json-1.0"}, _Body(b"{}"))

    client.meta.events.register_first("before-send", canned)


def test_a_call_keeps_its_own_cpu_and_not_the_call_made_inside_it() -> None:
    burning = False  # the clients' first calls, which read what botocore loads lazily (tens of ms), burn nothing
    inner = _client("dynamodb")
    _answering(inner, lambda: burning and _burn(INNER_CPU))
    outer = _client("stepfunctions")
    _answering(outer, lambda: burning and (_burn(OUTER_CPU), inner.describe_limits()))
    inner.describe_limits()
    outer.list_state_machines()
    burning = True

    gc.disable()  # a collection of a test process's heap, landing in one of the calls, would be charged to it
    try:
        with cpu_split.measuring() as split:
            outer.list_state_machines()
    finally:
        gc.enable()

    assert split.calls == {"stepfunctions.ListStateMachines": 1, "dynamodb.DescribeLimits": 1}
    # each keeps what it burned and botocore's own work (a few ms on a slow machine), not the other's
    assert INNER_CPU <= split.cpu_by_call["dynamodb.DescribeLimits"] < INNER_CPU + OUTER_CPU
    assert OUTER_CPU <= split.cpu_by_call["stepfunctions.ListStateMachines"] < OUTER_CPU + INNER_CPU
    assert split.calls_cpu == pytest.approx(sum(split.cpu_by_call.values()))
    assert split.calls_cpu <= split.process


def test_a_failed_call_is_counted_and_what_was_replaced_is_put_back() -> None:
    before = (BaseClient._make_api_call, LambdaHost._run_plain)
    client = _client("dynamodb")

    def refuse() -> None:
        raise ConnectionRefusedError("nothing listens here")

    _answering(client, refuse)
    with cpu_split.measuring() as split, pytest.raises(ConnectionRefusedError):
        client.describe_limits()

    assert split.calls == {"dynamodb.DescribeLimits": 1}
    assert (BaseClient._make_api_call, LambdaHost._run_plain) == before


def test_one_run_is_split_per_run_in_milliseconds() -> None:
    split = cpu_split.CpuSplit(process=0.5, handlers_cpu=0.05)
    split.calls.update({"lambda.Invoke": 6, "dynamodb.PutItem": 2})
    split.cpu_by_call.update({"lambda.Invoke": 0.15, "dynamodb.PutItem": 0.05})

    assert split.per_run(2) == {
        "runs": 2,
        "cpu_ms": 250.0,
        "aws_calls": 4.0,
        "aws_calls_cpu_ms": 100.0,
        "handlers_cpu_ms": 25.0,
        "rest_cpu_ms": 125.0,
        "by_call": {
            "lambda.Invoke": {"calls": 3.0, "cpu_ms": 75.0},
            "dynamodb.PutItem": {"calls": 1.0, "cpu_ms": 25.0},
        },
    }
