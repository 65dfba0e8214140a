"""Starting a loan workflow, per variant. The application id is bound to one workflow whatever variant a
request asks for (services/common/one_workflow.py), and names the execution (a Step Functions execution or a
durable execution), so submitting the same application twice cannot start two workflows."""

from __future__ import annotations

import json
from dataclasses import dataclass

from domain.loan.models import LoanApplication
from services.common.bootstrap import Adapters, setting
from services.common.one_workflow import IdAlreadyBound, bind, start_named

# variant -> the setting naming what starts it
STATE_MACHINE_SETTINGS = {"hybrid": "LOAN_HYBRID_STATE_MACHINE_ARN", "sfn": "LOAN_SFN_STATE_MACHINE_ARN"}
DURABLE_FUNCTION_SETTINGS = {"durable": "LOAN_WORKFLOW_FUNCTION"}


class ApplicationAlreadySubmitted(IdAlreadyBound):
    pass


@dataclass(frozen=True)
class LoanWorkflow:
    variant: str
    execution_arn: str
    started_now: bool  # False: this application was submitted before, and this is its workflow

    def as_json(self) -> dict[str, str]:
        key = "durable_execution_arn" if self.variant in DURABLE_FUNCTION_SETTINGS else "execution_arn"
        return {"variant": self.variant, key: self.execution_arn}


def start_loan(adapters: Adapters, variant: str, application: LoanApplication) -> LoanWorkflow:
    """The application's workflow: started now, or the one the same application already has. Raises
    :class:`ApplicationAlreadySubmitted` when the id is another application's or another variant's."""
    document = application.model_dump(mode="json")
    progress = adapters.progress
    try:
        bound = bind(progress, "application", application.application_id, variant, document)
    except IdAlreadyBound as taken:
        raise ApplicationAlreadySubmitted("application", taken.item_id, taken.bound, variant) from None
    if bound is not None and bound.execution_arn:
        return LoanWorkflow(variant, bound.execution_arn, started_now=False)
    payload = json.dumps(document)
    if variant in STATE_MACHINE_SETTINGS:
        arn = start_named(
            adapters,
            application.application_id,
            payload,
            state_machine_arn=setting(STATE_MACHINE_SETTINGS[variant]),
            expected_input=payload,
        )
    else:
        arn = start_named(
            adapters, application.application_id, payload, durable_function=setting(DURABLE_FUNCTION_SETTINGS[variant])
        )
    progress.note_workflow_execution(application.application_id, arn)
    return LoanWorkflow(variant, arn, started_now=bound is None)
