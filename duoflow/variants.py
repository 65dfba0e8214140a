"""The three implementations of each scenario (their names: services/common/variants.py), and where each keeps
its executions.

Every execution of a run is named after the application id: the Step Functions execution and the durable
executions alike, so a run's histories can be found from its id alone."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Variant:
    name: str
    title: str
    state_machine: str | None  # the state machine's name, if a state machine orchestrates
    durable_functions: tuple[str, ...]  # durable functions whose executions belong to a run


LOAN_VARIANTS: dict[str, Variant] = {
    "sfn": Variant("sfn", "pure Step Functions", "loan-sfn", ()),
    "durable": Variant("durable", "pure durable function", None, ("loan-workflow",)),
    "hybrid": Variant("hybrid", "Step Functions + durable", "loan-hybrid", ("loan-assessment",)),
}

TRAINING_VARIANTS: dict[str, Variant] = {
    "sfn": Variant("sfn", "pure Step Functions", "training-sfn", ()),
    "durable": Variant("durable", "pure durable function", None, ("training-workflow",)),
    "hybrid": Variant(
        "hybrid", "Step Functions + durable", "training-hybrid", ("training-screening", "training-enrollment")
    ),
}
