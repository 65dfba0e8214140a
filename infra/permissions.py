"""Least privilege, derived from what each function and state machine declares.

A function may touch only what its catalog environment names (a table, a topic, a bucket, a state machine, a
function; SCORER=bedrock: the one configured model), read the uploads that invoke it (catalog/resources.py
UPLOAD_RULES) and, if durable, checkpoint its own executions. A state machine
may do only what its ASL tasks do, on the resources its placeholders name. The one thing neither declares is
who answers whose waits (task tokens, durable callbacks): that is ``ANSWERS`` below.

Everything here is plain data (``Access``); infra/functions.py and infra/state_machines.py turn it into IAM
statements with ARNs. An ASL task this module cannot scope to a declared resource stops the synth: there is no
fallback to a wildcard.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from catalog.specs import FunctionSpec, ResourceRef
from catalog.state_machines import StateMachineSpec
from services.scorer import MODEL_ID_SETTING, SCORER_SETTING

# What the code does with a table it names: the progress log's reads, writes and its decision transaction.
TABLE_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
)
BUCKET_ACTIONS = ("s3:GetObject", "s3:PutObject")
# An upload's event names the object's version; reading that exact version needs GetObjectVersion.
UPLOAD_READ_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion")
TASK_TOKEN_ACTIONS = ("states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat")
CALLBACK_ACTIONS = (
    "lambda:SendDurableExecutionCallbackSuccess",
    "lambda:SendDurableExecutionCallbackFailure",
    "lambda:SendDurableExecutionCallbackHeartbeat",
)
# A durable function's own checkpoints (what AWSLambdaBasicDurableExecutionRolePolicy grants on every function).
CHECKPOINT_ACTIONS = ("lambda:CheckpointDurableExecution", "lambda:GetDurableExecutionState")
BEDROCK_SCORER = "bedrock"  # SCORER=bedrock: the function calls Amazon Bedrock Converse (services/scorer)


@dataclass(frozen=True)
class Answers:
    """Whose waits a function answers: the state machines whose ``.waitForTaskToken`` tasks it completes
    (``SendTask*`` is authorized against the state machine's ARN) and the durable functions whose
    ``wait_for_callback`` it completes (authorized against their durable executions)."""

    task_tokens_of: tuple[str, ...] = ()
    durable_callbacks_of: tuple[str, ...] = ()


ANSWERS: dict[str, Answers] = {
    # POST /approve/{id}: the manager's answer resumes a state machine's task or a durable callback.
    "duoflow-api": Answers(task_tokens_of=("loan-hybrid", "loan-sfn"), durable_callbacks_of=("loan-workflow",)),
    # The fraud service answers whoever asked: the durable assessments' callbacks, the pure-sfn task token.
    "loan-fraud-service": Answers(
        task_tokens_of=("loan-sfn",), durable_callbacks_of=("loan-assessment", "loan-workflow")
    ),
    # The hybrid's micro flow answers the "Assess Credit and Fraud" task that started it.
    "loan-assessment": Answers(task_tokens_of=("loan-hybrid",)),
    # The training hybrid's micro flows answer the tasks that started them (durable/task_token.py).
    "training-screening": Answers(task_tokens_of=("training-hybrid",)),
    "training-enrollment": Answers(task_tokens_of=("training-hybrid",)),
}
# POST /reviews/{id}: an HR reviewer's answer resumes a training state machine's task or the durable workflow.
ANSWERS["duoflow-api"] = Answers(
    task_tokens_of=(*ANSWERS["duoflow-api"].task_tokens_of, "training-hybrid", "training-sfn"),
    durable_callbacks_of=(*ANSWERS["duoflow-api"].durable_callbacks_of, "training-workflow"),
)


@dataclass(frozen=True)
class Access:
    """``actions`` on one declared resource. ``kind``: table, table_index, topic, bucket_objects,
    state_machine, function_alias, durable_executions, bedrock_model."""

    actions: tuple[str, ...]
    kind: str
    name: str
    detail: str = ""  # a table_index's index name; a key prefix of bucket_objects


class UnscopedAccess(ValueError):
    """An ASL task whose IAM actions or resource this module cannot derive."""


def reference(value: object, function_names: Iterable[str]) -> ResourceRef | None:
    """What an environment value names, if anything. A ResourceRef names itself; a plain string that is a
    catalog function's name names that function (the catalog gives some callees by name: in AWS they become the
    live alias's ARN, since a durable function must be invoked by version or alias)."""
    if isinstance(value, ResourceRef):
        return value
    if isinstance(value, str) and value in set(function_names):
        return ResourceRef("function", value, "arn")
    return None


def calls_bedrock(spec: FunctionSpec) -> bool:
    return str(spec.environment.get(SCORER_SETTING, "")).strip().lower() == BEDROCK_SCORER


def function_access(
    spec: FunctionSpec,
    function_names: Iterable[str],
    state_machine_names: Iterable[str] = (),
    table_indexes: Mapping[str, str] | None = None,
    uploads: Iterable[tuple[str, str]] = (),
) -> list[Access]:
    """Everything ``spec`` may do. ``table_indexes``: table name -> the name of its index, if it has one;
    ``uploads``: (bucket, key prefix) of the uploads that invoke ``spec``. Waits it answers of a function or a
    state machine that is not deployed are left out."""
    names, machines = list(function_names), set(state_machine_names)
    access: list[Access] = []
    for value in spec.environment.values():
        ref = reference(value, names)
        if ref is not None:
            access.extend(_resource_access(ref, table_indexes or {}))
    if calls_bedrock(spec):
        access.append(Access(("bedrock:InvokeModel",), "bedrock_model", MODEL_ID_SETTING))
    access.extend(Access(UPLOAD_READ_ACTIONS, "bucket_objects", bucket, prefix) for bucket, prefix in uploads)
    if spec.durable:
        access.append(Access(CHECKPOINT_ACTIONS, "durable_executions", spec.name))
    answers = ANSWERS.get(spec.name, Answers())
    access.extend(
        Access(TASK_TOKEN_ACTIONS, "state_machine", name) for name in answers.task_tokens_of if name in machines
    )
    access.extend(
        Access(CALLBACK_ACTIONS, "durable_executions", name) for name in answers.durable_callbacks_of if name in names
    )
    return _merged(access)


def _resource_access(ref: ResourceRef, table_indexes: Mapping[str, str]) -> list[Access]:
    if ref.kind == "table":
        found = [Access(TABLE_ACTIONS, "table", ref.logical_name)]
        if ref.logical_name in table_indexes:
            found.append(Access(("dynamodb:Query",), "table_index", ref.logical_name, table_indexes[ref.logical_name]))
        return found
    if ref.kind == "topic":
        return [Access(("sns:Publish",), "topic", ref.logical_name)]
    if ref.kind == "bucket":
        return [Access(BUCKET_ACTIONS, "bucket_objects", ref.logical_name)]
    if ref.kind == "state_machine":
        return [Access(("states:StartExecution",), "state_machine", ref.logical_name)]
    if ref.kind == "function":
        return [Access(("lambda:InvokeFunction",), "function_alias", ref.logical_name)]
    raise UnscopedAccess(
        f"environment names a {ref.kind} ({ref.logical_name}); infra/permissions.py has no grant for it"
    )


# --- state machines: what their ASL tasks do ------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"^\$\{(\w+)\}$")
_SDK_TASK = re.compile(r"^arn:aws:states:::aws-sdk:(?P<service>[a-z0-9]+):(?P<action>\w+)(?P<pattern>\..+)?$")
_OPTIMIZED_TASK = re.compile(r"^arn:aws:states:::(?P<service>[a-z0-9]+):(?P<action>\w+)(?P<pattern>\..+)?$")
_DYNAMODB_TRANSACTION_ITEMS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


def state_machine_access(spec: StateMachineSpec) -> list[Access]:
    """The IAM access the state machine's tasks need, each scoped to the resource its placeholder names."""
    definition = json.loads(spec.path.read_text())
    access: list[Access] = []
    for state_name, state in _tasks(definition["States"]):
        access.extend(_task_access(spec, state_name, state))
    return _merged(access)


def _tasks(states: Mapping[str, dict]) -> Iterator[tuple[str, dict]]:
    for name, state in states.items():
        if state.get("Type") == "Task":
            yield name, state
        for branch in state.get("Branches", []):
            yield from _tasks(branch["States"])
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            yield from _tasks(processor["States"])


def _task_access(spec: StateMachineSpec, state_name: str, state: dict) -> list[Access]:
    resource = state["Resource"]
    arguments = state.get("Arguments", state.get("Parameters", {}))
    where = f"{spec.asl_file}, state {state_name!r}"
    if (direct := _PLACEHOLDER.match(resource)) is not None:  # "Resource": "${SomeFunctionArn}"
        return [_on(spec, direct.group(0), "function", ("lambda:InvokeFunction",), where)]
    match = _SDK_TASK.match(resource) or _OPTIMIZED_TASK.match(resource)
    if match is None:
        raise UnscopedAccess(f"{where}: resource {resource!r} is not a service integration infra knows")
    service, action = match["service"], match["action"]
    if match["pattern"] and match["pattern"] != ".waitForTaskToken":
        raise UnscopedAccess(f"{where}: the {match['pattern']} pattern needs more than one IAM action; add it here")

    def field(name: str) -> str:
        if name not in arguments:
            raise UnscopedAccess(f"{where}: {service}:{action} without {name}; cannot scope its IAM grant")
        return arguments[name]

    if service == "lambda" and action == "invoke":
        return [_on(spec, field("FunctionName"), "function", ("lambda:InvokeFunction",), where)]
    if service == "sns" and action == "publish":
        return [_on(spec, field("TopicArn"), "topic", ("sns:Publish",), where)]
    if service == "dynamodb" and action in ("transactWriteItems", "transactGetItems"):
        found = []
        for item in field("TransactItems"):
            for operation, body in item.items():
                iam_action = "dynamodb:" + _DYNAMODB_TRANSACTION_ITEMS[operation]
                found.append(_on(spec, body["TableName"], "table", (iam_action,), where))
        return found
    if service == "dynamodb":
        return [_on(spec, field("TableName"), "table", ("dynamodb:" + action[0].upper() + action[1:],), where)]
    if service == "s3" and action in ("putObject", "getObject"):
        return [_on(spec, field("Bucket"), "bucket", ("s3:" + action[0].upper() + action[1:],), where)]
    if service == "states" and action == "startExecution":
        return [_on(spec, field("StateMachineArn"), "state_machine", ("states:StartExecution",), where)]
    raise UnscopedAccess(f"{where}: infra/permissions.py does not know the IAM actions of {service}:{action} yet")


def _on(spec: StateMachineSpec, value: object, kind: str, actions: tuple[str, ...], where: str) -> Access:
    """``value`` must be exactly a placeholder whose value is a ResourceRef of ``kind``."""
    match = _PLACEHOLDER.match(value) if isinstance(value, str) else None
    ref = spec.placeholders.get(match.group(1)) if match else None
    if not isinstance(ref, ResourceRef) or ref.kind != kind:
        raise UnscopedAccess(
            f"{where}: {value!r} must be a ${{Placeholder}} naming a declared {kind} "
            "(catalog/state_machines.py), so its IAM grant can name that one resource"
        )
    target = {"function": "function_alias", "bucket": "bucket_objects"}.get(kind, kind)
    return Access(actions, target, ref.logical_name)


def _merged(access: Iterable[Access]) -> list[Access]:
    """One Access per resource, with the union of its actions, in a stable order."""
    merged: dict[tuple[str, str, str], set[str]] = {}
    for item in access:
        merged.setdefault((item.kind, item.name, item.detail), set()).update(item.actions)
    return [Access(tuple(sorted(actions)), kind, name, detail) for (kind, name, detail), actions in merged.items()]
