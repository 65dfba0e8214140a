"""Many applications at once through the API."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from duoflow.bench.load import load_test
from duoflow.demo import run_loan_case
from duoflow.runtime import TimeControl
from duoflow.scenarios import loan_cases

# Under load the work is slow and not scaled: timeouts at 1/100 so they guard, not race, it.
TIME_CONTROL = TimeControl.scaled(0.001, timeouts=0.01)


def test_concurrent_applications_each_end_as_their_scenario_says(runtime):
    """Handlers run in threads here; the API (thread_safe=False in the catalog: Powertools' resolver keeps the
    current event in module state) still handles one event at a time, as one Lambda container does."""
    cases = loan_cases() * 3
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda case: run_loan_case(runtime, case, "hybrid"), cases))
    assert [(r.case, r.outcome, r.reason) for r in results] == [
        (case.case, case.expected["outcome"], case.expected["reason"]) for case in cases
    ]
    assert len({r.id for r in results}) == len(cases)


def test_a_burst_as_bench_load_makes_it_ends_every_run_with_its_cases_outcome(runtime):
    cases = loan_cases(["alice", "bob", "charlie"])  # alice: the burst's watcher answers her manager approval

    report = load_test(runtime, cases, ["sfn", "durable", "hybrid"], count=9)

    assert (report["applications"], report["finished"]) == (9, 9)
    assert report["unfinished_at_deadline"] == [] and report["wrong_outcome"] == []
    assert report["p50_ms"] <= report["p95_ms"] and report["throughput_per_second"] > 0
    assert report["peak_threads"] > 1 and report["peak_memory_mib"] > 0


def test_the_manager_answers_approvals_while_the_burst_is_still_being_submitted(runtime, monkeypatch):
    """The last application is not submitted until an approval filed by an earlier one has been answered: the
    manager works alongside the submitters (a manager who waited for the last submission would let the first
    approvals of a long burst time out)."""
    from duoflow.api_client import ApiClient
    from duoflow.bench import load

    answered_meanwhile = threading.Event()
    answer_managers, post = load._answer_managers, ApiClient.post
    applied = []

    def answering(api, pending):
        answer_managers(api, pending)
        if any(run.manager_answered for run in pending) and threading.current_thread().name == "load-test-manager":
            answered_meanwhile.set()

    def applying(self, path, *args, **kwargs):
        if path == "/apply":
            applied.append(path)
            if len(applied) == 3:  # the last: alice's and bob's are in
                assert answered_meanwhile.wait(120), "no approval was answered while the burst was submitted"
        return post(self, path, *args, **kwargs)

    monkeypatch.setattr(load, "SUBMITTERS", 1)
    monkeypatch.setattr(load, "MANAGER_INTERVAL_SECONDS", 0.01)
    monkeypatch.setattr(load, "_answer_managers", answering)
    monkeypatch.setattr(ApiClient, "post", applying)
    report = load_test(runtime, loan_cases(["alice", "bob", "charlie"]), ["sfn"], count=3)

    assert answered_meanwhile.is_set() and report["wrong_outcome"] == [] and report["finished"] == 3
