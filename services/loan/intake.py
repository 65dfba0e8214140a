"""Step "Record Application": checks the application again (the state machine may be started by other
callers than the API) and opens its progress log and audit trail."""

from __future__ import annotations

from typing import Any

from domain.loan.models import LoanApplication
from domain.loan.validation import ApplicationInvalid, FieldError, validate_application
from services.common.bootstrap import Adapters, wired
from services.common.log import at, logged
from services.common.progress import ProgressEntry


@logged(at("application_id"))
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return record_application(wired(), event).model_dump(mode="json")


def record_application(adapters: Adapters, event: Any) -> LoanApplication:
    # The workflow keys everything on the id it was started with, so it must come with the input.
    if not isinstance(event, dict) or "application_id" not in event:
        raise ApplicationInvalid([FieldError("application_id", "is required to start the workflow")])
    application = validate_application(event)  # ApplicationInvalid -> the state machine's Catch
    progress = adapters.progress
    progress.set_status(
        application.application_id,
        status="processing",
        applicant_name=application.applicant_name,
        loan_amount=application.loan_amount,
    )
    progress.record(
        application.application_id,
        ProgressEntry(
            "received",
            step="intake",
            message=f"application received from {application.applicant_name} for ${application.loan_amount:,.2f} ({application.loan_purpose})",
        ),
    )
    return application
