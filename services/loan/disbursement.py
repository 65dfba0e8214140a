"""Step "Disburse Funds": pays out exactly once per application.

The audit trail entry "disbursed" is written with a put-if-absent; only the call that creates it moves the money
(simulated). A retried or repeated call finds the entry and returns the same reference without paying again.
"""

from __future__ import annotations

from typing import Any

from domain.loan.models import Disbursement, LoanApplication, LoanOffer
from domain.loan.rules import disbursement_reference
from services.common.bootstrap import Adapters, wired
from services.common.log import at, logged
from services.common.progress import ProgressEntry


@logged(at("application", "application_id"))
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Task "Disburse Funds": {"application", "offer"} → {"disbursement_reference", "paid_now"}."""
    application = LoanApplication.model_validate(event["application"])
    return disburse(wired(), application, LoanOffer.model_validate(event["offer"])).model_dump(mode="json")


def disburse(adapters: Adapters, application: LoanApplication, offer: LoanOffer) -> Disbursement:
    reference = disbursement_reference(application.application_id)
    paid_now = adapters.progress.record(
        application.application_id,
        ProgressEntry(
            "disbursed", step="disbursement", message=f"${offer.principal:,.2f} disbursed, reference {reference}"
        ),
    )
    return Disbursement(disbursement_reference=reference, paid_now=paid_now)
