"""Outcome parity: the three variants decide the same way on the same input (shared by the parity tests,
which are split in files so two test workers share the load)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from functools import cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.loan.rules import requires_manager_approval
from duoflow.demo import run_loan_case
from duoflow.runtime import TimeControl
from duoflow.scenarios import LoanCase

# Many runs at once on 2 cores: timeouts at 3/100 (the fraud check's 5 minutes: 9 s; a silent manager's 30
# minutes: 54 s), so they guard the work, not race it.
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


# A run's deadline (run_loan_case's default is 60 s): a silent manager's run waits 54 s and then shares the CPU with
# the others at once, on a machine CI may load more than this one. The deadline catches a run that never ends, not a
# slow one (the test's own timeout bounds the whole).
RUN_DEADLINE_SECONDS = 300


def run_once(runtime, case: LoanCase, variant: str):
    return run_loan_case(runtime, case, variant, deadline_seconds=RUN_DEADLINE_SECONDS, measure=False)


def decide_on_every_variant(runtime, case: LoanCase) -> dict[str, tuple]:
    return {variant: decided(run_once(runtime, case, variant)) for variant in VARIANTS}


# Runs at once. A run whose manager never answers sits out the modelled 30 minutes (54 s here) doing nothing; the
# others are CPU-bound and share one interpreter whatever the pool's size. So each run (case x variant) is its own
# task, the ones that may wait for a silent manager start first (their wait overlaps the others' work), and there
# are enough slots that the waiting ones leave room for the rest.
RUNS_AT_ONCE = 24


def may_wait_for_a_silent_manager(case: LoanCase) -> bool:
    return case.manager is None and requires_manager_approval(case.application["loan_amount"])


def assert_parity(runtime, cases: list[LoanCase]) -> list[dict[str, tuple]]:
    runs = sorted(
        ((case, variant) for case in cases for variant in VARIANTS),
        key=lambda run: not may_wait_for_a_silent_manager(run[0]),
    )
    with ThreadPoolExecutor(max_workers=RUNS_AT_ONCE) as pool:
        results = pool.map(lambda run: run_once(runtime, *run), runs)
        outcomes = {
            (case.case, variant): decided(result) for (case, variant), result in zip(runs, results, strict=True)
        }
    by_case = [{variant: outcomes[case.case, variant] for variant in VARIANTS} for case in cases]
    differing = [
        (case.application, case.manager, outcome)
        for case, outcome in zip(cases, by_case, strict=True)
        if not outcome["sfn"] == outcome["durable"] == outcome["hybrid"]
    ]
    assert differing == [], "the variants disagree:\n" + "\n".join(map(repr, differing))
    return by_case
