"""A training request's progress log and audit trail, its current status, and its pending HR review.

One DynamoDB table (``training-progress``), keyed by request id: the loan's log with this layout
(services/common/progress.py):
  entry = "STATUS"          the current status, outcome and reason
  entry = "LOG#<entry_id>"  one audit entry, written at most once per entry_id (put-if-absent), so a durable
                            replay or a Step Functions retry that records the same entry again adds nothing
  entry = "REVIEW"          a pending HR review with its task token or callback id (sparse index "pending")
  entry = "WORKFLOW"        the one workflow this request is bound to (services/common/one_workflow.py)
"""

from __future__ import annotations

from typing import Any, Protocol

from services.common.progress import (
    DynamoWorkflowLog,
    InMemoryWorkflowLog,
    LogLayout,
    ProgressEntry,
)

REVIEW_ENTRY = "REVIEW"
PENDING_KIND = "hr-review"
KEY = "request_id"

# The order a request's entries are written in. Entries written in the same millisecond (the timestamps'
# resolution) sort by it, so the audit trail reads in the order things happened.
ENTRY_ORDER = (
    "received",
    "screened",
    "hr-review-requested",
    "hr-decision",
    "budget-reserved",
    "seat-booked",
    "calendar-added",
    "enrollment-failed",
    "calendar-removed",
    "seat-cancelled",
    "budget-released",
    "result-written",
    "decision",
)
TRAINING_LOG = LogLayout(KEY, REVIEW_ENTRY, PENDING_KIND, ENTRY_ORDER)


class TrainingLog(Protocol):
    def record(self, request_id: str, entry: ProgressEntry) -> bool:
        """Add the entry unless one with the same id exists; True when it was added."""

    def set_status(self, request_id: str, **fields: Any) -> None: ...

    def status(self, request_id: str) -> dict[str, Any] | None: ...

    def entries(self, request_id: str) -> list[dict[str, Any]]: ...

    def put_pending_review(self, request_id: str, review: dict[str, Any]) -> None: ...

    def pending_review(self, request_id: str) -> dict[str, Any] | None: ...

    def remove_pending_review(self, request_id: str) -> None: ...

    def pending_reviews(self) -> list[dict[str, Any]]: ...

    def bind_workflow(self, request_id: str, binding: dict[str, Any]) -> dict[str, Any] | None:
        """Binds the id to one workflow unless it has one: None when bound now, else the existing binding."""

    def note_workflow_execution(self, request_id: str, execution_arn: str) -> None: ...

    def workflow(self, request_id: str) -> dict[str, Any] | None:
        """The workflow the id is bound to (its variant and, once started, its execution), or None."""

    def record_decision(self, request_id: str, outcome: dict[str, Any]) -> None:
        """At once: the status and outcome, the audit trail's "decision" entry, the withdrawal of any pending
        review. The state machines write the same items in one transaction."""


class _HrReviews:
    """The training request's names for the decision a person owes: an HR review."""

    def put_pending_review(self, request_id: str, review: dict[str, Any]) -> None:
        self.put_pending(request_id, review)

    def pending_review(self, request_id: str) -> dict[str, Any] | None:
        return self.pending(request_id)

    def remove_pending_review(self, request_id: str) -> None:
        self.remove_pending(request_id)

    def pending_reviews(self) -> list[dict[str, Any]]:
        return self.all_pending()


class DynamoTrainingLog(_HrReviews, DynamoWorkflowLog):
    def __init__(self, client: Any, table_name: str) -> None:
        super().__init__(client, table_name, TRAINING_LOG)


class InMemoryTrainingLog(_HrReviews, InMemoryWorkflowLog):
    def __init__(self) -> None:
        super().__init__(TRAINING_LOG)
