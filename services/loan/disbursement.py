"""Step "Disburse Funds": pays out exactly once per application.

The ledger entry "disbursed" is written with a put-if-absent; only the call that creates it moves the money
(simulated). A retried or repeated call finds the entry and returns the same reference without paying again.
"""

from __future__ import annotations

from typing import Any

from domain.loan.models import LoanApplication, LoanOffer
from domain.loan.rules import disbursement_reference
from services.common.bootstrap import adapters
from services.common.progress import ProgressEntry


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return disburse(LoanApplication.model_validate(event["application"]), LoanOffer.model_validate(event["offer"]))


def disburse(application: LoanApplication, offer: LoanOffer) -> dict[str, Any]:
    reference = disbursement_reference(application.application_id)
    paid_now = adapters().progress.record(
        application.application_id,
        ProgressEntry(
            "disbursed", step="disbursement", message=f"${offer.principal:,.2f} disbursed, reference {reference}"
        ),
    )
    return {"disbursement_reference": reference, "paid_now": paid_now}
