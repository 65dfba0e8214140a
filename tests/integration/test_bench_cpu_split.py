"""The benchmark's happy-path pass splits a hybrid run's CPU (duoflow/bench/cpu_split.py) on the real runtime: the
calls it counts are the run's own, through every client the run uses, and the plain handlers Invoke runs are theirs."""

from __future__ import annotations

from duoflow.bench.runner import hybrid_happy_path
from duoflow.scenarios import loan_cases


def test_a_hybrid_runs_cpu_is_split_into_its_calls_its_handlers_and_the_rest(runtime):
    latencies, cpu = hybrid_happy_path(runtime, loan_cases(["charlie"])[0], runs=2, on_run=lambda: None)

    assert len(latencies) == cpu["runs"] == 2
    calls = cpu["by_call"]
    # the state machine's Task states invoke the plain functions; a step of the hybrid's durable function, in the
    # durable SDK's executor, answers the task token; the API starts the execution: every kind of caller is seen
    assert calls["lambda.Invoke"]["calls"] >= 1
    assert calls["stepfunctions.StartExecution"]["calls"] == 1
    assert calls["stepfunctions.SendTaskSuccess"]["calls"] == 1
    assert cpu["aws_calls"] == round(sum(call["calls"] for call in calls.values()), 1)
    assert cpu["handlers_cpu_ms"] > 0  # the plain functions Invoke ran in the caller's thread
    assert cpu["aws_calls_cpu_ms"] > 0 and cpu["rest_cpu_ms"] > 0
    parts = cpu["aws_calls_cpu_ms"] + cpu["handlers_cpu_ms"] + cpu["rest_cpu_ms"]
    assert abs(parts - cpu["cpu_ms"]) <= 0.05  # each part rounded to 0.01 ms
