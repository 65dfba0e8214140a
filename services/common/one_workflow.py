"""One id, one workflow. An application id or a training request id is bound to the first workflow started for
it — its variant and execution — whatever variant a later request asks for:

- the same request again (same variant, same document): answered with the execution it already has, started
  again only if the first attempt stopped between binding and starting (starting is idempotent by name);
- anything else under that id (another variant, another document): refused, naming the variant and the
  execution that has the id (HTTP 409).

Each orchestrator refuses a second execution of the same name on its own; the binding is what makes the id
unique across the three of them. It is an item of the id's own progress log (``entry = "WORKFLOW"``), written
with a condition, so two requests racing for one id cannot both win.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from services.common.bootstrap import Adapters


def execution_arn_of(state_machine_arn: str, name: str) -> str:
    """The ARN Step Functions gives the execution of ``state_machine_arn`` named ``name``: the state machine's ARN
    with ``execution`` for ``stateMachine``, and the name appended."""
    return state_machine_arn.replace(":stateMachine:", ":execution:", 1) + ":" + name


class WorkflowBindings(Protocol):
    def bind_workflow(self, item_id: str, binding: dict[str, Any]) -> dict[str, Any] | None: ...

    def note_workflow_execution(self, item_id: str, execution_arn: str) -> None: ...


@dataclass(frozen=True)
class BoundWorkflow:
    """The workflow an id is bound to. ``execution_arn`` is None until it has started."""

    variant: str
    fingerprint: str
    execution_arn: str | None = None


class IdAlreadyBound(RuntimeError):
    """The id belongs to another request's workflow (HTTP 409)."""

    def __init__(self, what: str, item_id: str, bound: BoundWorkflow, variant: str) -> None:
        self.item_id = item_id
        self.bound = bound
        execution = f"execution {bound.execution_arn}" if bound.execution_arn else "a workflow that is starting"
        difference = (
            f"not {variant}" if bound.variant != variant else "with another document; send a new id for a new one"
        )
        super().__init__(
            f"{what} {item_id} already has a workflow: {execution} on the {bound.variant} variant ({difference})"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "message": str(self),
            "variant": self.bound.variant,
            **({"execution_arn": self.bound.execution_arn} if self.bound.execution_arn else {}),
        }


def fingerprint(document: Mapping[str, Any]) -> str:
    """The same document, the same fingerprint (key order and spacing do not count)."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def bind(
    bindings: WorkflowBindings, what: str, item_id: str, variant: str, document: Mapping[str, Any]
) -> BoundWorkflow | None:
    """Bind ``item_id`` to this request's workflow. None: it is bound now, start the workflow (then
    ``bindings.note_workflow_execution``). A :class:`BoundWorkflow`: this very request was made before; answer
    with its execution, or start it if it has none yet. Raises :class:`IdAlreadyBound` for any other request."""
    mine = BoundWorkflow(variant, fingerprint(document))
    existing = bindings.bind_workflow(item_id, {"variant": mine.variant, "fingerprint": mine.fingerprint})
    if existing is None:
        return None
    bound = BoundWorkflow(existing["variant"], existing["fingerprint"], existing.get("execution_arn"))
    if (bound.variant, bound.fingerprint) != (mine.variant, mine.fingerprint):
        raise IdAlreadyBound(what, item_id, bound, variant)
    return bound


def start_named(
    adapters: Adapters,
    name: str,
    payload: str,
    *,
    state_machine_arn: str | None = None,
    durable_function: str | None = None,
    expected_input: str | None = None,
) -> str:
    """Start the bound workflow named ``name`` (a Step Functions execution of ``state_machine_arn`` or a durable
    execution of ``durable_function``) and return its execution ARN — or the ARN of the one already started under
    that name, when a crash came between starting it and noting it in the binding (which has checked it is the
    same request). ``expected_input``: a started Step Functions execution must have this input, or the start is
    refused as the orchestrator refused it."""
    clients = adapters
    if state_machine_arn is not None:
        try:
            return clients.sfn_client.start_execution(stateMachineArn=state_machine_arn, name=name, input=payload)[
                "executionArn"
            ]
        except ClientError as error:
            if error.response["Error"]["Code"] != "ExecutionAlreadyExists":
                raise
            execution_arn = execution_arn_of(state_machine_arn, name)
            if expected_input is not None:
                started = clients.sfn_client.describe_execution(executionArn=execution_arn)["input"]
                if json.loads(started) != json.loads(expected_input):
                    raise
            return execution_arn
    lambda_client = clients.lambda_client
    try:
        # Lambda answers the same name with the same payload with the execution it already has.
        return lambda_client.invoke(
            FunctionName=durable_function, InvocationType="Event", DurableExecutionName=name, Payload=payload
        )["DurableExecutionArn"]
    except ClientError as error:
        if error.response["Error"]["Code"] != "DurableExecutionAlreadyStartedException":
            raise
        # Started with another payload of the same request (a training upload's new object version).
        [started] = lambda_client.list_durable_executions_by_function(
            FunctionName=durable_function, DurableExecutionName=name
        )["DurableExecutions"]
        return started["DurableExecutionArn"]
