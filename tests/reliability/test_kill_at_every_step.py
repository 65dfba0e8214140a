"""Kill the server (SIGKILL) at every step of a run, start it again on the same state directory, and check that the
run ends exactly as an uninterrupted one: same outcome, reason, offer figures and audit trail; paid once.

A step is a Step Functions state entered (``state:N``) or a save of a durable execution (``checkpoint:N``: each
checkpoint, each invocation's start and end). The hybrid loan is killed at every state it enters and every second
durable save; the other variants, and the training request on each variant, at every third or fourth step (the
tier stays within a few minutes). The kill points tried are written to
test-artifacts/reliability.json and summed in the README's reliability section.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from duoflow.scenarios import loan_cases, training_cases
from tests.reliability.server import ROOT, LoanRun, TrainingRun

# Each plan restarts a real server twice per kill point (~1 s a start): a minute or more, past the 2-minute default.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

# (case, variant, step kind, every how many steps)
PLANS = [
    ("alice", "hybrid", "state", 1),
    ("alice", "hybrid", "checkpoint", 2),
    ("charlie", "sfn", "state", 3),
    ("alice", "durable", "checkpoint", 4),
    ("hiring-specialist", "hybrid", "state", 3),
    ("provider-full", "durable", "checkpoint", 4),
    ("junior-developer", "sfn", "state", 4),
]
LOAN_CASES = ("alice", "bob", "charlie", "charlie-30k")
FIGURES = ROOT / "test-artifacts" / "reliability"


def comparable(status: dict) -> dict:
    trail = [entry["entry_id"] for entry in status["log"]]
    if "result" in status:  # a training request: its result file, less what names this run (references, ids)
        result = dict(status["result"])
        enrollment = {k: v for k, v in (result.pop("enrollment", None) or {}).items() if k != "references"}
        result.pop("request_id", None)
        return {**result, "enrollment": enrollment, "trail": trail}
    return {
        "status": status["status"],
        "reason": status["reason"],
        "offer": status.get("offer"),
        "trail": trail,
        "paid": trail.count("disbursed"),
    }


def new_run(tmp_path: Path, case: str, variant: str) -> LoanRun | TrainingRun:
    state_dir = tmp_path / f"state-{uuid.uuid4().hex[:8]}"
    if case not in LOAN_CASES:
        [training] = training_cases([case])
        return TrainingRun(state_dir, f"{case}-{variant}-{uuid.uuid4().hex[:8]}", training.request, variant)
    [loan] = loan_cases([case])
    application = {**loan.application, "application_id": f"{case}-{variant}-{uuid.uuid4().hex[:8]}"}
    return LoanRun(state_dir, application, variant, loan.manager)


@pytest.mark.parametrize(("case", "variant", "kind", "stride"), PLANS)
def test_a_run_killed_at_any_step_ends_as_an_uninterrupted_one(
    tmp_path: Path, case: str, variant: str, kind: str, stride: int
) -> None:
    expected = comparable(new_run(tmp_path, case, variant).run(crash_after=None))
    if case in LOAN_CASES:
        assert expected["paid"] == (1 if expected["status"] == "approved" else 0)
    tried, restarts, step = [], 0, 1
    while True:
        run = new_run(tmp_path, case, variant)
        ended = run.run(crash_after=f"{kind}:{step}")
        if run.restarts == 0:
            break  # the run has fewer steps than this: every step has been tried
        assert comparable(ended) == expected, f"killed at {kind} {step}"
        tried.append(step)
        restarts += run.restarts
        step += stride
    assert tried, "no kill point was reached"
    FIGURES.mkdir(parents=True, exist_ok=True)
    figures = {"case": case, "variant": variant, "kind": kind, "kill_points": tried, "restarts": restarts}
    (FIGURES / f"{case}-{variant}-{kind}.json").write_text(json.dumps(figures))
    print(figures)
