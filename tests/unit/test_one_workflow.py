"""One id, one workflow (services/common/one_workflow.py): the first request binds the id; the same request
again gets the bound workflow; any other request under that id is refused, naming the variant and execution."""

from __future__ import annotations

import pytest

from services.common.one_workflow import BoundWorkflow, IdAlreadyBound, bind, fingerprint
from services.common.progress import InMemoryProgressLog

DOCUMENT = {"applicant_name": "Alice Johnson", "loan_amount": 150_000}
ARN = "arn:aws:states:us-east-1:123456789012:execution:loan-hybrid:app-1"


def test_the_first_request_binds_the_id_and_the_same_request_gets_its_workflow_back():
    log = InMemoryProgressLog()
    assert bind(log, "application", "app-1", "hybrid", DOCUMENT) is None
    # Not started yet (a crash between binding and starting): the same request starts it.
    assert bind(log, "application", "app-1", "hybrid", dict(reversed(DOCUMENT.items()))) == BoundWorkflow(
        "hybrid", fingerprint(DOCUMENT)
    )
    log.note_workflow_execution("app-1", ARN)
    assert bind(log, "application", "app-1", "hybrid", DOCUMENT).execution_arn == ARN


@pytest.mark.parametrize(
    ("variant", "document", "says"),
    [
        ("sfn", DOCUMENT, "(not sfn)"),
        ("hybrid", {**DOCUMENT, "loan_amount": 1}, "(with another document; send a new id for a new one)"),
    ],
)
def test_another_request_under_a_bound_id_is_refused_naming_the_workflow(variant, document, says):
    log = InMemoryProgressLog()
    bind(log, "application", "app-1", "hybrid", DOCUMENT)
    log.note_workflow_execution("app-1", ARN)
    with pytest.raises(IdAlreadyBound) as refused:
        bind(log, "application", "app-1", variant, document)
    assert (
        str(refused.value) == f"application app-1 already has a workflow: execution {ARN} on the hybrid variant {says}"
    )
    assert refused.value.as_json()["variant"] == "hybrid"
    assert refused.value.as_json()["execution_arn"] == ARN
