"""Starting a loan workflow, per variant. The application id names the execution (a Step Functions execution
or a durable execution), so submitting the same application twice cannot start two workflows."""

from __future__ import annotations

import json
from typing import Any

from domain.loan.models import LoanApplication
from services.common.bootstrap import adapters, setting

DEFAULT_VARIANT = "hybrid"
# variant -> the setting naming what starts it
STATE_MACHINE_SETTINGS = {"hybrid": "LOAN_HYBRID_STATE_MACHINE_ARN", "sfn": "LOAN_SFN_STATE_MACHINE_ARN"}
DURABLE_FUNCTION_SETTINGS = {"durable": "LOAN_WORKFLOW_FUNCTION"}
VARIANTS = ("hybrid", "sfn", "durable")


class ApplicationAlreadySubmitted(RuntimeError):
    pass


def start_loan(variant: str, application: LoanApplication) -> dict[str, Any]:
    payload = json.dumps(application.model_dump(mode="json"))
    if variant in STATE_MACHINE_SETTINGS:
        return _start_state_machine(setting(STATE_MACHINE_SETTINGS[variant]), application.application_id, payload)
    return _start_durable_function(setting(DURABLE_FUNCTION_SETTINGS[variant]), application.application_id, payload)


def _start_state_machine(state_machine_arn: str, name: str, payload: str) -> dict[str, Any]:
    sfn = adapters().sfn_client
    try:
        execution = sfn.start_execution(stateMachineArn=state_machine_arn, name=name, input=payload)
    except sfn.exceptions.ExecutionAlreadyExists:
        raise ApplicationAlreadySubmitted(f"application {name} was already submitted") from None
    return {"execution_arn": execution["executionArn"]}


def _start_durable_function(function_name: str, name: str, payload: str) -> dict[str, Any]:
    lambda_client = adapters().lambda_client
    try:
        response = lambda_client.invoke(
            FunctionName=function_name, InvocationType="Event", DurableExecutionName=name, Payload=payload
        )
    except lambda_client.exceptions.DurableExecutionAlreadyStartedException:
        raise ApplicationAlreadySubmitted(f"application {name} was already submitted") from None
    return {"durable_execution_arn": response["DurableExecutionArn"]}
