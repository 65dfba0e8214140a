"""The business metrics (services/metrics/audit_trail.py, read by `duoflow metrics`) on real runs: the audit trails'
stream invokes the metrics function for every variant alike, and what it counts matches what happened — every
decision by outcome, the manager's and HR's decisions, a manager who never answers, a fraud service that fails or
stays silent, a compensated enrollment, each screening score."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from domain.loan.rules import FRAUD_TIMEOUT_REASON, NO_MANAGER_DECISION_REASON
from duoflow.business_metrics import MetricRow, metrics_in
from duoflow.demo import RunResult, run_loan_case
from duoflow.runtime import LocalRuntime, TimeControl
from duoflow.scenarios import loan_cases, training_cases
from duoflow.stack import local_stack
from duoflow.training_demo import run_training_case
from duoflow.variants import LOAN_VARIANTS
from tests.integration.parity import run_at_once
from tests.integration.test_training_uploads import review_band_case
from tests.waiting import wait_until

VARIANTS = tuple(LOAN_VARIANTS)
# Timeouts at 1/200: the fraud check's 5 minutes take 1.5 s, a screening's 15 minutes 4.5 s (a screening is not cut
# short on a busy machine; the model is loaded before the first one: see served); the manager's 30 minutes (9 s)
# are advanced (tests/integration/parity.py run_at_once).
TIME_CONTROL = TimeControl.scaled(0.001, timeouts=0.005)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalRuntime, Path]]:
    state = tmp_path_factory.mktemp("metrics")
    log_file = state / "function-logs.jsonl"
    review_band_case()  # loads the local model in this process, where the runtime's screenings use it
    with local_stack(TIME_CONTROL, state_dir=state, function_logs=log_file) as running:
        yield running, log_file


def rows_when(log_file: Path, decisions: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], MetricRow]:
    """The metrics once ``decisions`` decisions are counted (the stream delivers them in the background)."""

    def counted() -> dict | None:
        rows = {(row.name, row.dimensions): row for row in metrics_in(log_file).rows}
        total = sum(row.count for (name, _), row in rows.items() if name == "Decisions")
        return rows if total >= decisions else None

    return wait_until(counted, what=f"{decisions} decisions counted")


def counts(rows: dict, metric: str) -> Counter:
    return Counter({dimensions: row.count for (name, dimensions), row in rows.items() if name == metric})


def test_every_variant_counts_the_same_business_events(served, monkeypatch):
    runtime, log_file = served
    loan: list[RunResult] = [run_loan_case(runtime, case, v, measure=False) for v in VARIANTS for case in loan_cases()]
    [alice] = loan_cases(["alice"])
    silent_manager = type(alice)(**{**alice.__dict__, "manager": None})
    loan += run_at_once(runtime, [(silent_manager, v) for v in VARIANTS])  # their 30 minutes advanced, not waited
    [charlie] = loan_cases(["charlie"])
    for mode in ("fail", "silent"):
        monkeypatch.setenv("FRAUD_SIMULATION", mode)
        loan.append(run_loan_case(runtime, charlie, "durable", measure=False))
    monkeypatch.delenv("FRAUD_SIMULATION")

    [provider_full] = training_cases(["provider-full"])
    review = review_band_case()
    training = [run_training_case(runtime, case, "hybrid", measure=False) for case in training_cases()]
    training += [
        run_training_case(runtime, case, v, measure=False) for v in ("sfn", "durable") for case in (provider_full,)
    ]
    training += [run_training_case(runtime, review, v, measure=False) for v in VARIANTS]

    assert all(r.as_expected for r in training), [(r.case, r.outcome, r.reason) for r in training]
    rows = rows_when(log_file, len(loan) + len(training))

    loan_outcomes = Counter((("Outcome", r.outcome), ("Scenario", "loan")) for r in loan)
    training_outcomes = Counter((("Outcome", r.outcome), ("Scenario", "training")) for r in training)
    assert counts(rows, "Decisions") == loan_outcomes + training_outcomes
    assert [r.reason for r in loan].count(NO_MANAGER_DECISION_REASON) == 3
    assert counts(rows, "Timeouts") == Counter(
        {(("Scenario", "loan"), ("Wait", "manager approval")): 3, (("Scenario", "loan"), ("Wait", "fraud check")): 1}
    )
    assert FRAUD_TIMEOUT_REASON in [r.reason for r in loan]
    assert counts(rows, "FraudCheckFailures") == Counter(
        {(("Result", "failed"), ("Scenario", "loan")): 1, (("Result", "timed out"), ("Scenario", "loan")): 1}
    )
    # alice is approved by her manager in each variant; nobody answers for the silent ones
    assert counts(rows, "ManagerDecisions") == Counter({(("Decision", "approved"), ("Scenario", "loan")): 3})
    # HR approves every request in its band: the review case in each variant and the marketing specialist (hybrid)
    reviewed = [r for r in training if r.band == "review"]
    assert len(reviewed) == len(VARIANTS) + 1
    assert counts(rows, "HRDecisions") == Counter({(("Decision", "approved"), ("Scenario", "training")): len(reviewed)})
    assert counts(rows, "Compensations") == Counter(
        {(("Compensation", "budget-released"), ("Scenario", "training")): 3}
    )
    scores = [row for (name, _), row in rows.items() if name == "ScreeningScore"]
    assert sorted(sample for row in scores for sample in row.samples) == sorted(float(r.score) for r in training)
    for row in scores:
        band = dict(row.dimensions)["Band"]
        assert sorted(row.samples) == sorted(float(r.score) for r in training if r.band == band)
        assert row.unit == "None"
