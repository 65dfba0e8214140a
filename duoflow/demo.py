"""Runs demo cases through the HTTP API on a local stack, with simulated people and services answering.

Each run: POST /apply → poll GET /status until the workflow ends; when it waits for a manager, the
simulated manager reads GET /approvals and answers POST /approve/{id} with the case's decision (it waits for the
application's own approval item first: one read, where listing every pending approval at each poll cost a fifth of
the CPU of two dozen runs at once). The fraud service answers its callback by itself. Then the run's figures are
read from the histories.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from catalog.functions import PROGRESS_TABLE
from duoflow.api_client import API_FUNCTION, ApiClient, role_claims
from duoflow.metrics import durable_operations, state_transitions
from duoflow.runtime import LocalRuntime, ResourceRef
from duoflow.scenarios import LoanCase
from duoflow.variants import LOAN_VARIANTS, Variant
from services.api.routes import MANAGER_ROLE
from services.common.one_workflow import execution_arn_of
from services.common.progress import DynamoProgressLog

TERMINAL = ("approved", "denied", "failed")
# How often the watchers look: every 5 ms at first, then less often (×1.25 each time, at most every 50 ms),
# so a long wait does not flood the API. A run's end is seen at once (RunWatch.turns): before, a latency was
# rounded up to the next look, by about a tenth of the time elapsed on average.
FIRST_POLL_SECONDS, LAST_POLL_SECONDS, POLL_BACKOFF = 0.005, 0.05, 1.25


def polling_intervals():
    interval = FIRST_POLL_SECONDS
    while True:
        yield interval
        interval = min(interval * POLL_BACKOFF, LAST_POLL_SECONDS)


def api_client_for(runtime: LocalRuntime) -> ApiClient:
    """The API as the runtime (or a deployed stack, duoflow/bench/target.py) names its function."""
    return ApiClient(runtime.client("lambda"), runtime.resolve(ResourceRef("function", API_FUNCTION)))


class RunDidNotFinish(RuntimeError):
    pass


@dataclass(frozen=True)
class RunResult:
    scenario: str
    case: str
    variant: str
    id: str
    applicant: str
    amount: float
    outcome: str
    reason: str
    latency_ms: float
    state_transitions: int
    durable_operations: int
    expected_outcome: str
    offer: dict[str, Any] | None = None
    disbursement_reference: str | None = None

    @property
    def as_expected(self) -> bool:
        return self.outcome == self.expected_outcome

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "as_expected": self.as_expected}


def run_loan_case(
    runtime: LocalRuntime,
    case: LoanCase,
    variant: str,
    deadline_seconds: float = 60,
    measure: bool = True,
    application_id: str | None = None,
) -> RunResult:
    """One application through the API, with the simulated manager; ``measure=False`` skips reading the
    histories for the figures (state transitions and durable operations are then 0); ``application_id`` (default:
    the case, the variant and a random suffix) lets a caller follow the run while it runs."""
    api = api_client_for(runtime)
    orchestrator = LOAN_VARIANTS[variant]
    application_id = application_id or f"{case.case}-{variant}-{uuid.uuid4().hex[:8]}"
    deadline = time.perf_counter() + deadline_seconds
    began = time.perf_counter()
    started = api.post("/apply", {**case.application, "application_id": application_id}, query={"variant": variant})
    if started.status != 202:
        raise RuntimeError(f"{case.case}: POST /apply answered {started.status}: {started.body}")
    watch = RunWatch(runtime, orchestrator, application_id)
    _follow(api, watch, case, deadline)
    latency_ms = (time.perf_counter() - began) * 1000
    watch.wait_for_durable_end(deadline)
    status = api.get(f"/status/{application_id}").body
    return RunResult(
        scenario="loan",
        case=case.case,
        variant=variant,
        id=application_id,
        applicant=case.application["applicant_name"],
        amount=case.application["loan_amount"],
        outcome=status["status"],
        reason=status.get("reason", ""),
        latency_ms=round(latency_ms, 1),
        state_transitions=watch.state_transitions() if measure else 0,
        durable_operations=watch.durable_operations() if measure else 0,
        expected_outcome=case.expected.get("outcome", ""),
        offer=status.get("offer"),
        disbursement_reference=status.get("disbursement_reference"),
    )


class RunWatch:
    """Finds one run's executions by its application id, and tells when the run has ended."""

    def __init__(self, runtime: LocalRuntime, variant: Variant, application_id: str) -> None:
        self._runtime = runtime
        self._sfn, self._lambda = runtime.client("stepfunctions"), runtime.client("lambda")
        self._variant, self.application_id = variant, application_id
        self._progress = DynamoProgressLog(runtime.client("dynamodb"), runtime.resolve(PROGRESS_TABLE))
        self._execution_arn = (
            execution_arn_of(
                runtime.resolve(ResourceRef("state_machine", variant.state_machine, "arn")), application_id
            )
            if variant.state_machine
            else None
        )

    def ended(self) -> bool:
        """The orchestrator that runs the macro flow has finished."""
        if self._execution_arn:
            return self._runtime.execution_status(self._execution_arn) not in (None, "RUNNING")
        return self._durable_ended()

    def awaits_manager(self) -> bool:
        """The workflow has filed its approval request (the item GET /approvals lists)."""
        return self._progress.pending_approval(self.application_id) is not None

    def turns(self) -> Iterator[None]:
        """The watcher's turns to look: the first at once, each next one a poll interval later or as soon as one
        of the run's executions ends (its orchestrator tells: ``runtime.endings``), whichever comes first."""
        endings = self._runtime.endings
        ended = endings.watch(self.application_id)
        try:
            for interval in polling_intervals():
                ended.clear()  # before looking: an end while looking makes the next turn come at once
                yield
                ended.wait(interval)
        finally:
            endings.unwatch(self.application_id, ended)

    def wait_for_durable_end(self, deadline: float) -> None:
        """A durable function answers its caller in its last step and ends a moment later."""
        for _ in self.turns():
            if self._durable_ended():
                return
            if time.perf_counter() > deadline:
                raise RunDidNotFinish(
                    f"the durable executions of {self.application_id} did not finish within the deadline"
                )

    def _durable_ended(self) -> bool:
        return all(
            status != "RUNNING"
            for function in self._variant.durable_functions
            for status in self._runtime.durable_statuses(
                self._runtime.resolve(ResourceRef("function", function)), self.application_id
            )
        )

    def state_transitions(self) -> int:
        return state_transitions(self._sfn, self._execution_arn) if self._execution_arn else 0

    def durable_operations(self) -> int:
        return sum(
            durable_operations(
                self._lambda, self._runtime.resolve(ResourceRef("function", function)), self.application_id
            )
            for function in self._variant.durable_functions
        )


def _follow(api: ApiClient, watch: RunWatch, case: LoanCase, deadline: float) -> None:
    """Wait for the workflow to end; meanwhile the simulated manager (if the case has one, and the amount needs a
    manager: domain/loan/rules.py) watches the approvals list and answers when this application appears on it. A
    manager does not watch for an amount that needs no approval: a workflow that asked for one anyway would wait
    unanswered and end on "no manager decision", a difference the demo and the parity tests show. Nobody else
    polls the API, so the measured latency is the workflow's, not the watchers'."""
    manager_to_answer = case.manager is not None and case.needs_manager
    for _ in watch.turns():  # the workflow runs on its own threads meanwhile
        if time.perf_counter() > deadline:
            break
        if watch.ended():
            return
        if manager_to_answer and watch.awaits_manager() and _simulated_manager(api, case, watch.application_id):
            manager_to_answer = False
    raise RunDidNotFinish(f"{case.case} ({watch.application_id}) did not finish within the deadline")


def _simulated_manager(api: ApiClient, case: LoanCase, application_id: str) -> bool:
    """Answers the approval if it is pending, signed in as a manager; True once answered."""
    manager = api.acting_as(role_claims(MANAGER_ROLE, case.manager["manager"].lower().replace(" ", ".")))
    pending = [item["application_id"] for item in manager.get("/approvals").body["approvals"]]
    if application_id not in pending:
        return False
    response = manager.post(f"/approve/{application_id}", case.manager)
    if response.status != 200:
        raise RuntimeError(f"{case.case}: POST /approve answered {response.status}: {response.body}")
    return True


def run_cases(
    runtime: LocalRuntime,
    cases: list[LoanCase],
    variants: list[str],
    on_done: Callable[[RunResult], None] = lambda result: None,
) -> list[RunResult]:
    results = []
    for variant in variants:
        for case in cases:
            result = run_loan_case(runtime, case, variant)
            on_done(result)
            results.append(result)
    return results
