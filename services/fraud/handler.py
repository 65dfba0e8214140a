"""The external fraud service (simulated). It is invoked asynchronously with the application and either a
durable callback id or a Step Functions task token, thinks for FRAUD_DELAY_SECONDS (5 s in the seed), and
answers through the same channel it was given.

FRAUD_SIMULATION chooses its behaviour: "answer" (default), "fail" (answers with a failure), "silent" (never
answers, so the caller's timeout fires).
"""

from __future__ import annotations

import json
import os
from typing import Any

from domain.loan.models import LoanApplication
from domain.loan.rules import FRAUD_SERVICE_NAME, screen_for_fraud
from services.common.bootstrap import adapters
from services.common.pacing import simulated_delay


def handler(event: dict[str, Any], context: Any) -> None:
    application = LoanApplication.model_validate(event["application"])
    simulated_delay(float(os.environ.get("FRAUD_DELAY_SECONDS", "5")))
    mode = os.environ.get("FRAUD_SIMULATION", "answer")
    if mode == "silent":
        return
    if mode == "fail":
        answer_failure(event, "FraudServiceUnavailable", f"{FRAUD_SERVICE_NAME} could not reach its data provider")
        return
    answer_success(event, screen_for_fraud(application).model_dump(mode="json"))


def answer_success(event: dict[str, Any], result: dict[str, Any]) -> None:
    clients = adapters()
    if "callback_id" in event:
        clients.lambda_client.send_durable_execution_callback_success(
            CallbackId=event["callback_id"], Result=json.dumps(result).encode()
        )
    else:
        clients.sfn_client.send_task_success(taskToken=event["task_token"], output=json.dumps(result))


def answer_failure(event: dict[str, Any], error: str, message: str) -> None:
    clients = adapters()
    if "callback_id" in event:
        clients.lambda_client.send_durable_execution_callback_failure(
            CallbackId=event["callback_id"], Error={"ErrorType": error, "ErrorMessage": message}
        )
    else:
        clients.sfn_client.send_task_failure(taskToken=event["task_token"], error=error, cause=message)
