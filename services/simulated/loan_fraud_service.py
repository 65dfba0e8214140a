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

from domain.loan.models import FraudCheckResult, LoanApplication
from services.common.bootstrap import Adapters, wired
from services.common.log import at, logged
from services.common.pacing import simulated_delay
from services.common.reply_to import ReplyTo

FRAUD_SERVICE_NAME = "FraudCheckService-v2"


def screen_for_fraud(application: LoanApplication) -> FraudCheckResult:
    """What the service concludes: it flags an income that is implausible for the amount asked (more than 50×
    the loan), a pattern of synthetic identities."""
    indicators = int(application.annual_income > 50 * application.loan_amount)
    return FraudCheckResult(passed=indicators == 0, risk_indicators=indicators, checked_by=FRAUD_SERVICE_NAME)


@logged(at("application", "application_id"))
def handler(event: dict[str, Any], context: Any) -> None:
    answer_fraud_check(wired(), LoanApplication.model_validate(event["application"]), ReplyTo.from_fields(event))


def answer_fraud_check(adapters: Adapters, application: LoanApplication, reply_to: ReplyTo) -> None:
    """Think for FRAUD_DELAY_SECONDS, then answer through ``reply_to`` as FRAUD_SIMULATION says."""
    simulated_delay(float(os.environ.get("FRAUD_DELAY_SECONDS", "5")))
    mode = os.environ.get("FRAUD_SIMULATION", "answer")
    if mode == "silent":
        return
    if mode == "fail":
        reply_to.fail(adapters, "FraudServiceUnavailable", f"{FRAUD_SERVICE_NAME} could not reach its data provider")
        return
    reply_to.succeed(adapters, json.dumps(screen_for_fraud(application).model_dump(mode="json")))
