"""A person's decision that a workflow waits for (a manager's loan approval, an HR review): the workflow is
resumed with it through the channel it left in the pending item, a Step Functions task token or a durable
callback id. One mechanism for every scenario and variant."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from services.common.bootstrap import Adapters

from botocore.exceptions import ClientError

from services.common.progress import ProgressEntry
from services.common.reply_to import ReplyTo

# What Step Functions and Lambda answer when the workflow stopped waiting (timed out, or already answered).
NO_LONGER_WAITING = (
    "TaskTimedOut",
    "InvalidToken",
    "TaskDoesNotExist",
    "ResourceNotFoundException",
    "InvalidParameterValueException",
)


class NoLongerWaiting(RuntimeError):
    """The workflow stopped waiting before the person answered; the answer did not count."""


def resume_with_decision(
    adapters: Adapters, log: Any, item_id: str, pending: dict[str, Any], answer: str, decided: ProgressEntry
) -> None:
    """Record the decision in ``log`` (a workflow log: services/common/progress.py), then resume the workflow
    with ``answer`` (JSON) and withdraw the pending item. Raises :class:`NoLongerWaiting` when it timed out."""
    # Recorded before the workflow resumes, so the audit trail shows the decision before what follows from it.
    log.record(item_id, decided)
    try:
        ReplyTo.from_fields(pending).succeed(adapters, answer)
    except ClientError as error:
        if error.response["Error"]["Code"] not in NO_LONGER_WAITING:
            raise
        log.remove_pending(item_id)
        log.record(
            item_id,
            ProgressEntry(
                f"{decided.entry_id}-too-late",
                step=decided.step,
                message="the workflow was no longer waiting (timed out or already answered); this decision did not count",
                actor=decided.actor,
                level="warning",
            ),
        )
        raise NoLongerWaiting(error.response["Error"]["Code"]) from error
    # Withdrawn at once, so nobody else answers a request already answered. The workflow's decision record
    # withdraws it too ("Record Decision in Audit Trail", record_decision): that one covers a wait that timed
    # out, which no answer ever reached. Both deletes are of the same item and harmless twice.
    log.remove_pending(item_id)
