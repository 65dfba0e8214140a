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
from services.common.pacing import simulated_delay
from services.common.reply_to import ReplyTo

FRAUD_SERVICE_NAME = "FraudCheckService-v2"


def screen_for_fraud(application: LoanApplication) -> FraudCheckResult:
    """What the service concludes: it flags an income that is implausible for the amount asked (more than 50×
    the loan), a pattern of synthetic identities."""
    indicators = int(application.annual_income > 50 * application.loan_amount)
    return FraudCheckResult(passed=indicators == 0, risk_indicators=indicators, checked_by=FRAUD_SERVICE_NAME)


def handler(event: dict[str, Any], context: Any) -> None:
    application = LoanApplication.model_validate(event["application"])
    reply_to = ReplyTo.from_fields(event)
    simulated_delay(float(os.environ.get("FRAUD_DELAY_SECONDS", "5")))
    mode = os.environ.get("FRAUD_SIMULATION", "answer")
    if mode == "silent":
        return
    if mode == "fail":
        reply_to.fail("FraudServiceUnavailable", f"{FRAUD_SERVICE_NAME} could not reach its data provider")
        return
    reply_to.succeed(json.dumps(screen_for_fraud(application).model_dump(mode="json")))
