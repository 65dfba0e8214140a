"""Kill the server (SIGKILL) at every step of a run, start it again on the same state directory, and check that the
run ends exactly as an uninterrupted one: same outcome, reason, offer figures and audit trail; paid once.

A step is a Step Functions state entered (``state:N``) or a save of a durable execution (``checkpoint:N``: each
checkpoint, each invocation's start and end). The hybrid loan is killed at every state it enters and every second
durable save; the other variants, and the training request on each variant, at every third or fourth step (the
tier stays within a few minutes). The plans are run by test_kill_at_every_step_1.py to _4.py, one part each; the
kill points tried are written to test-artifacts/reliability/ and summed in the README's reliability section.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from duoflow.scenarios import loan_cases, training_cases
from tests.reliability.server import ROOT, LoanRun, TrainingRun

# Each plan restarts a real server twice per kill point (~1 s a start): a minute or more, past the 2-minute default.
MARKS = [pytest.mark.slow, pytest.mark.timeout(900)]


@dataclass(frozen=True)
class Plan:
    """Kill a run of ``case`` on ``variant`` at every ``stride``-th step of ``kind``, from step ``first``."""

    case: str
    variant: str
    kind: str
    stride: int
    first: int = 1

    def __str__(self) -> str:
        return f"{self.case}-{self.variant}-{self.kind}" + (f"-from-{self.first}" if self.first > 1 else "")


# The tier's plans, in four parts of one to two minutes each: a part is a test file, and test files are what the
# xdist workers share out (--dist loadfile), so the parts run at once. The hybrid loan at every state is the
# longest plan; its odd and its even states are two plans, in two parts.
PARTS = {
    1: [Plan("alice", "hybrid", "state", 2), Plan("alice", "hybrid", "checkpoint", 2)],
    2: [
        Plan("alice", "hybrid", "state", 2, first=2),
        Plan("charlie", "sfn", "state", 3),
        Plan("alice", "durable", "checkpoint", 4),
    ],
    3: [Plan("junior-developer", "sfn", "state", 4)],
    4: [Plan("hiring-specialist", "hybrid", "state", 3), Plan("provider-full", "durable", "checkpoint", 4)],
}
LOAN_CASES = ("alice", "bob", "charlie", "charlie-30k")
FIGURES = ROOT / "test-artifacts" / "reliability"


def comparable(status: dict, answer_repeated: bool = False) -> dict:
    """What must match an uninterrupted run. A manager's answer sent again because the first one's server died
    while answering (``LoanRun.answer_repeated``) is a second request: when the first had counted, the API records
    the second in the trail as a decision that came too late and did not count, which is what happened."""
    trail = [
        entry["entry_id"]
        for entry in status["log"]
        if not (answer_repeated and entry["entry_id"] == "manager-decision-too-late")
    ]
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


def try_every_kill_point(tmp_path: Path, plan: Plan) -> None:
    """The test of one plan: an uninterrupted run, then one run killed at each of the plan's steps."""
    expected = comparable(new_run(tmp_path, plan.case, plan.variant).run(crash_after=None))
    if plan.case in LOAN_CASES:
        assert expected["paid"] == (1 if expected["status"] == "approved" else 0)
    tried, restarts, step = [], 0, plan.first
    while True:
        run = new_run(tmp_path, plan.case, plan.variant)
        ended = run.run(crash_after=f"{plan.kind}:{step}")
        if run.restarts == 0:
            break  # the run has fewer steps than this: every step has been tried
        assert comparable(ended, getattr(run, "answer_repeated", False)) == expected, f"killed at {plan.kind} {step}"
        tried.append(step)
        restarts += run.restarts
        step += plan.stride
    assert tried, "no kill point was reached"
    FIGURES.mkdir(parents=True, exist_ok=True)
    figures = {
        "case": plan.case,
        "variant": plan.variant,
        "kind": plan.kind,
        "kill_points": tried,
        "restarts": restarts,
    }
    (FIGURES / f"{plan}.json").write_text(json.dumps(figures))
    print(figures)
