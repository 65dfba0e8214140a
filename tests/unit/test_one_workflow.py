"""One id, one workflow (services/common/one_workflow.py): the first request binds the id; the same request
again gets the bound workflow; any other request under that id is refused, naming the variant and execution."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from services.common import bootstrap
from services.common.one_workflow import BoundWorkflow, IdAlreadyBound, bind, fingerprint, start_named
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


class Orchestrators:
    """Step Functions and Lambda as a bound workflow's start meets them after a crash: the execution exists."""

    def __init__(self, started_input: str) -> None:
        self.started_input = started_input

    def start_execution(self, **arguments):
        raise ClientError({"Error": {"Code": "ExecutionAlreadyExists", "Message": "exists"}}, "StartExecution")

    def describe_execution(self, executionArn):
        return {"executionArn": executionArn, "input": self.started_input}

    def invoke(self, **arguments):
        error = {"Error": {"Code": "DurableExecutionAlreadyStartedException", "Message": "another input"}}
        raise ClientError(error, "Invoke")

    def list_durable_executions_by_function(self, FunctionName, DurableExecutionName):
        return {"DurableExecutions": [{"DurableExecutionArn": f"arn:durable:{FunctionName}/{DurableExecutionName}"}]}


@pytest.fixture
def already_started():
    orchestrators = Orchestrators(started_input='{"a": 1}')
    return bootstrap.bootstrap(sfn_client=orchestrators, lambda_client=orchestrators)


def test_a_start_that_a_crash_separated_from_its_binding_returns_the_execution_already_there(already_started):
    machine = "arn:aws:states:us-east-1:123456789012:stateMachine:training-sfn"
    assert (
        start_named(already_started, "req-1", '{"a": 2}', state_machine_arn=machine)
        == machine.replace(":stateMachine:", ":execution:") + ":req-1"
    )
    assert start_named(already_started, "req-1", '{"a": 2}', durable_function="training-workflow") == (
        "arn:durable:training-workflow/req-1"  # the same request with another object version in its payload
    )
    # An expected input that the existing execution does not have: refused as Step Functions refused it.
    assert start_named(
        already_started, "app-1", '{"a":1}', state_machine_arn=machine, expected_input='{"a": 1}'
    ).endswith(":app-1")
    with pytest.raises(ClientError, match="ExecutionAlreadyExists"):
        start_named(already_started, "app-1", '{"a": 3}', state_machine_arn=machine, expected_input='{"a": 3}')
