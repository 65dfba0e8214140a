"""Step "Record Request": checks the document again (the state machine may be started by other callers than the
upload) and opens the request's audit trail."""

from __future__ import annotations

from typing import Any

from domain.training.models import TrainingRequest
from domain.training.validation import FieldError, RequestInvalid, validate_request
from services.common.bootstrap import Adapters, wired
from services.common.log import at, logged
from services.common.progress import ProgressEntry


@logged(at("request_id"))
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return record_request(wired(), event).model_dump(mode="json")


def record_request(adapters: Adapters, event: Any) -> TrainingRequest:
    """``event``: {"request_id", "document", "source": {"bucket", "key", "version_id"}} (services/training/upload.py)."""
    if not isinstance(event, dict) or "request_id" not in event:
        raise RequestInvalid([FieldError("request_id", "is required to start the workflow")])
    request = validate_request(event.get("document"), event["request_id"])  # RequestInvalid -> the Catch
    source = event.get("source") or {}
    log = adapters.training
    log.set_status(
        request.request_id,
        status="screening",
        employee_name=request.employee_name,
        training_title=request.training_title,
        cost=request.cost,
    )
    where = f" (s3://{source['bucket']}/{source['key']})" if source.get("bucket") and source.get("key") else ""
    log.record(
        request.request_id,
        ProgressEntry(
            "received",
            step="intake",
            message=f"request from {request.employee_name} ({request.job_role}) for {request.training_title!r} "
            f"by {request.provider}, ${request.cost:,.2f}{where}",
            actor=request.employee_id,
        ),
    )
    return request
