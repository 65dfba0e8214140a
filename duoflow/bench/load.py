"""Many loan applications at once: every one must end with its case's outcome, none lost.

``count`` applications (the demo cases in turn, on every variant in turn) are submitted through the API from a pool
of submitters, as fast as the API takes them, while a manager answers the approvals as they are filed (the manager's
30 minutes run in real time here, and submitting 10,000 can take longer: a manager who waited for the last
submission would let the first approvals time out, and every run waiting on one would stay in flight, with its
threads and memory, until then); one watcher then follows all of them, answers the approvals still to come, and
notes when each run ends. Reported: the total time, throughput, p50 / p95 from submission to the end, every run
whose outcome was wrong, every run still running at the deadline (10 minutes after the last submission by default;
it is left running, not lost: its workflow would still finish), the most threads the process ran at once (sampled at
each of the manager's and the watcher's looks) and its peak resident memory (the process's whole life, so the passes
before the burst too; the burst's is the larger).
"""

from __future__ import annotations

import itertools
import resource
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from duoflow.api_client import ApiClient, role_claims
from duoflow.bench.runner import percentile
from duoflow.demo import RunWatch, api_client_for
from duoflow.runtime import LocalRuntime
from duoflow.scenarios import LoanCase
from duoflow.variants import LOAN_VARIANTS
from services.api.routes import MANAGER_ROLE

SUBMITTERS = 8
# The load test's stack runs timeouts in real time (the manager's 30 minutes are 30 minutes): under a burst,
# work waits for the CPU, and a scaled-down timeout would deny applications that are only queued.
LOAD_TIMEOUT_SCALE = 1.0
WATCH_INTERVAL_SECONDS = 0.05
MANAGER_INTERVAL_SECONDS = 0.5  # while the burst is submitted: how often the manager looks for approvals to answer


@dataclass
class _Run:
    case: LoanCase
    variant: str
    application_id: str
    watch: RunWatch
    submitted: float
    ended: float | None = None
    manager_answered: bool = False


def load_test(
    runtime: LocalRuntime,
    cases: list[LoanCase],
    variants: list[str],
    count: int,
    deadline_seconds: float = 600,
    on_end: Callable[[], None] = lambda: None,
) -> dict[str, Any]:
    api = api_client_for(runtime)
    plan = list(itertools.islice(itertools.cycle(itertools.product(cases, variants)), count))
    began = time.perf_counter()

    submitted: list[_Run] = []
    all_submitted = threading.Event()

    def submit(job: tuple[LoanCase, str]) -> _Run:
        case, variant = job
        application_id = f"load-{case.case}-{variant}-{uuid.uuid4().hex[:8]}"
        started = time.perf_counter()
        answer = api.post("/apply", {**case.application, "application_id": application_id}, query={"variant": variant})
        if answer.status != 202:
            raise RuntimeError(f"POST /apply answered {answer.status}: {answer.body}")
        run = _Run(case, variant, application_id, RunWatch(runtime, LOAN_VARIANTS[variant], application_id), started)
        submitted.append(run)
        return run

    peak_threads = threading.active_count()
    manager_failed: list[BaseException] = []

    def answer_while_submitting() -> None:
        nonlocal peak_threads
        try:
            while not all_submitted.wait(MANAGER_INTERVAL_SECONDS):
                _answer_managers(api, list(submitted))
                peak_threads = max(peak_threads, threading.active_count())
        except BaseException as failure:  # raised by load_test once the submitters are done
            manager_failed.append(failure)

    manager = threading.Thread(target=answer_while_submitting, name="load-test-manager")
    manager.start()
    try:
        with ThreadPoolExecutor(max_workers=SUBMITTERS) as pool:
            runs = list(pool.map(submit, plan))
    finally:
        all_submitted.set()
        manager.join()
    if manager_failed:
        raise manager_failed[0]
    submitted_all = time.perf_counter() - began

    peak_threads = max(peak_threads, threading.active_count())
    pending = list(runs)
    # From the last submission: submitting 10,000 alone can take longer than the whole deadline.
    deadline = time.perf_counter() + deadline_seconds
    while pending and time.perf_counter() < deadline:
        _answer_managers(api, pending)
        peak_threads = max(peak_threads, threading.active_count())
        still = []
        for run in pending:
            if run.watch.ended():
                run.ended = time.perf_counter()
                on_end()
            else:
                still.append(run)
        pending = still
        if pending:
            time.sleep(WATCH_INTERVAL_SECONDS)
    total = time.perf_counter() - began

    wrong = []
    for run in runs:
        if run.ended is None:
            continue
        status = api.get(f"/status/{run.application_id}").body
        if status.get("status") != run.case.expected.get("outcome"):
            wrong.append({"id": run.application_id, "outcome": status.get("status"), "reason": status.get("reason")})
    latencies = [(run.ended - run.submitted) * 1000 for run in runs if run.ended is not None]
    return {
        "applications": count,
        "variants": variants,
        "cases": [case.case for case in cases],
        "finished": len(latencies),
        "unfinished_at_deadline": [run.application_id for run in runs if run.ended is None],
        "wrong_outcome": wrong,
        "submitted_in_seconds": round(submitted_all, 2),
        "total_seconds": round(total, 2),
        "throughput_per_second": round(len(latencies) / total, 2),
        "p50_ms": round(percentile(latencies, 0.50), 1) if latencies else None,
        "p95_ms": round(percentile(latencies, 0.95), 1) if latencies else None,
        "peak_threads": peak_threads,
        "peak_memory_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),  # Linux: KiB
    }


def _answer_managers(api: ApiClient, pending: list[_Run]) -> None:
    waiting = {run.application_id: run for run in pending if run.case.manager and not run.manager_answered}
    if not waiting:
        return
    manager = api.acting_as(role_claims(MANAGER_ROLE, "load.test.manager"))
    for item in manager.get("/approvals").body["approvals"]:
        run = waiting.get(item["application_id"])
        if run is None:
            continue
        answer = manager.post(f"/approve/{run.application_id}", run.case.manager)
        if answer.status not in (200, 409):  # 409: it timed out; the run then ends denied and is reported wrong
            raise RuntimeError(f"POST /approve/{run.application_id} answered {answer.status}: {answer.body}")
        run.manager_answered = True
