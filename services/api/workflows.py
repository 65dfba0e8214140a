"""Starting a loan workflow, per variant. The application id names the execution, so submitting the same
application twice cannot start two workflows."""

from __future__ import annotations

import json
from typing import Any

from domain.loan.models import LoanApplication
from services.common.bootstrap import adapters, setting

DEFAULT_VARIANT = "hybrid"
VARIANTS = ("hybrid",)


class ApplicationAlreadySubmitted(RuntimeError):
    pass


def start_loan(variant: str, application: LoanApplication) -> dict[str, Any]:
    sfn = adapters().sfn_client
    try:
        execution = sfn.start_execution(
            stateMachineArn=setting("LOAN_HYBRID_STATE_MACHINE_ARN"),
            name=application.application_id,
            input=json.dumps(application.model_dump(mode="json")),
        )
    except sfn.exceptions.ExecutionAlreadyExists:
        raise ApplicationAlreadySubmitted(f"application {application.application_id} was already submitted") from None
    return {"execution_arn": execution["executionArn"]}
