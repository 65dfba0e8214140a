"""Outcome parity: the three variants decide the same way on the same input (shared by the parity tests,
which are split in files so two test workers share the load)."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from functools import cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.loan.rules import MANAGER_APPROVAL_TIMEOUT_SECONDS
from duoflow.demo import RunResult, RunWatch, run_loan_case
from duoflow.runtime import LocalRuntime, TimeControl
from duoflow.scenarios import LoanCase
from duoflow.variants import LOAN_VARIANTS
from tests.waiting import wait_until

# Many runs at once on 2 cores: timeouts at 3/100 (the fraud check's 5 minutes: 9 s), so they guard the work, not
# race it. A silent manager's 30 minutes (54 s) are not waited for: they are advanced (time_out_the_silent_managers).
TIME_CONTROL = TimeControl.scaled(0.001, timeouts=0.03)
VARIANTS = ("sfn", "durable", "hybrid")
GENERATED = 200

amounts = st.integers(min_value=1_000, max_value=250_000).map(float) | st.sampled_from([25_000.0, 99_999.99, 100_000.0])
applications = st.builds(
    dict,
    applicant_name=st.sampled_from(["Ana Lima", "Wei Chen", "Sam O'Neil", 'Dana "DJ" Lee', "Ola Nordmann"]),
    sin_last4=st.from_regex(r"[0-9]{4}", fullmatch=True) | st.sampled_from(["1111", "2222", "3333"]),
    annual_income=st.integers(min_value=15_000, max_value=9_000_000).map(float),
    loan_amount=amounts,
    loan_purpose=st.sampled_from(["car", "home renovation", "debt consolidation", "tuition"]),
)
decisions = st.builds(
    dict,
    approved=st.booleans(),
    manager=st.sampled_from(["Dana Lee", "Sam Ortiz"]),
    comment=st.sampled_from(["", "ok"]),
)
# One manager in six never answers (the approval then times out).
managers = st.tuples(st.integers(min_value=0, max_value=5), decisions).map(lambda pair: pair[1] if pair[0] else None)


@cache
def generated_cases() -> tuple[LoanCase, ...]:
    """GENERATED distinct applications, the same ones on every run (hypothesis, derandomized)."""
    drawn: dict[str, tuple] = {}

    @settings(derandomize=True, database=None, max_examples=4 * GENERATED, suppress_health_check=list(HealthCheck))
    @given(st.tuples(applications, managers))
    def collect(pair):
        drawn.setdefault(json.dumps(pair, sort_keys=True), pair)

    collect()
    pairs = list(drawn.values())[:GENERATED]
    assert len(pairs) == GENERATED, "hypothesis drew too few distinct applications"
    return tuple(
        LoanCase(case=f"generated-{n}", title="", application=app, manager=manager, expected={})
        for n, (app, manager) in enumerate(pairs)
    )


def decided(result) -> tuple:
    """What parity compares of one run: outcome, reason, offer, and whether it was paid."""
    return (result.outcome, result.reason, result.offer, result.disbursement_reference is not None)


# A run's deadline (run_loan_case's default is 60 s): a silent manager's run waits until every other run of its half
# has ended (time_out_the_silent_managers), on a machine CI may load more than this one. The deadline catches a run
# that never ends, not a slow one (the test's own timeout bounds the whole).
RUN_DEADLINE_SECONDS = 300


def run_once(runtime, case: LoanCase, variant: str, application_id: str | None = None):
    return run_loan_case(
        runtime, case, variant, deadline_seconds=RUN_DEADLINE_SECONDS, measure=False, application_id=application_id
    )


def decide_on_every_variant(runtime, case: LoanCase) -> dict[str, tuple]:
    return {variant: decided(run_once(runtime, case, variant)) for variant in VARIANTS}


# Runs at once: the runs are CPU-bound and share one interpreter whatever the pool's size, and the ones that wait
# for a silent manager hold a slot until their timeout is advanced; enough slots leave room for the rest.
RUNS_AT_ONCE = 24


def may_wait_for_a_silent_manager(case: LoanCase) -> bool:
    return case.manager is None and case.needs_manager


def run_at_once(runtime, pairs: list[tuple[LoanCase, str]]) -> list[RunResult]:
    """Each (case, variant) run at once, RUNS_AT_ONCE at a time; a silent manager's timeout is advanced rather than
    waited for (time_out_the_silent_managers). The results in the order of ``pairs``."""
    runs = [Run(case, variant, f"{case.case}-{variant}-{uuid.uuid4().hex[:8]}") for case, variant in pairs]
    with ThreadPoolExecutor(max_workers=RUNS_AT_ONCE) as pool:
        # The ones that may wait for a silent manager start first, so they reach their manager early.
        for run in sorted(runs, key=lambda run: not may_wait_for_a_silent_manager(run.case)):
            run.future = pool.submit(run_once, runtime, run.case, run.variant, run.application_id)
        time_out_the_silent_managers(runtime, runs)
        return [run.future.result() for run in runs]


def assert_parity(runtime, cases: list[LoanCase]) -> list[dict[str, tuple]]:
    results = iter(run_at_once(runtime, [(case, variant) for case in cases for variant in VARIANTS]))
    by_case = [{variant: decided(next(results)) for variant in VARIANTS} for _ in cases]
    differing = [
        (case.application, case.manager, outcome)
        for case, outcome in zip(cases, by_case, strict=True)
        if not outcome["sfn"] == outcome["durable"] == outcome["hybrid"]
    ]
    assert differing == [], "the variants disagree:\n" + "\n".join(map(repr, differing))
    return by_case


@dataclass(eq=False)
class Run:
    case: LoanCase
    variant: str
    application_id: str
    future: Future = field(default_factory=Future)


def time_out_the_silent_managers(runtime: LocalRuntime, runs: list[Run]) -> None:
    """A silent manager's 30 minutes are advanced (``LocalRuntime.advance_timeouts``) instead of waited for, once
    nothing but the silent managers' approvals can be waiting: every other run has ended, and each run of a silent
    manager has ended or filed its approval request (its timeout is armed before the request is filed: the Task or
    the callback starts first). Time moves for the whole runtime, so it moves only then: earlier, it would also
    time out another run's fraud check."""
    silent = [run for run in runs if may_wait_for_a_silent_manager(run.case)]
    wait([run.future for run in runs if run not in silent])
    watches = [RunWatch(runtime, LOAN_VARIANTS[run.variant], run.application_id) for run in silent]
    while not all(run.future.done() for run in silent):
        wait_until(
            lambda: all(
                run.future.done() or watch.awaits_manager() for run, watch in zip(silent, watches, strict=True)
            ),
            timeout=RUN_DEADLINE_SECONDS,
            what="every silent manager's run waiting for its manager",
        )
        runtime.advance_timeouts(MANAGER_APPROVAL_TIMEOUT_SECONDS)
        wait([run.future for run in silent], timeout=10)
