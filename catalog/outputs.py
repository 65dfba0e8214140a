"""What a deployed duoflow stack reports, and how to read it back.

``cdk deploy --outputs-file cdk-outputs.json`` writes ``{"<stack name>": {"<key>": "<value>", ...}}``. The keys are
defined here once: the stack writes them (infra/stack.py), ``duoflow bench --target aws`` reads them with
``read_outputs``. This module imports no CDK, so the benchmark can use it without the CDK installed.

    deployed = read_outputs("cdk-outputs.json")
    deployed.state_machine_arns["loan-hybrid"], deployed.function_alias_arns["loan-workflow"], deployed.api_url
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

API_URL = "ApiUrl"
REGION = "Region"
STAGE = "Stage"
USER_POOL_ID = "UserPoolId"
USER_POOL_CLIENT_ID = "UserPoolClientId"


def pascal(name: str) -> str:
    """loan-hybrid → LoanHybrid (output keys are alphanumeric)."""
    return "".join(part[:1].upper() + part[1:] for part in name.replace("_", "-").split("-") if part)


def state_machine_arn_key(name: str) -> str:
    return f"StateMachine{pascal(name)}Arn"


def function_name_key(name: str) -> str:
    return f"Function{pascal(name)}Name"


def function_alias_arn_key(name: str) -> str:
    return f"Function{pascal(name)}AliasArn"


def table_name_key(name: str) -> str:
    return f"Table{pascal(name)}Name"


def topic_arn_key(name: str) -> str:
    return f"Topic{pascal(name)}Arn"


def bucket_name_key(name: str) -> str:
    return f"Bucket{pascal(name)}Name"


class OutputsError(ValueError):
    """The outputs file is missing, unreadable, or not from this version of the stack; the message says which."""


@dataclass(frozen=True)
class DeployedStack:
    """A deployed stack's resources, keyed by the names duoflow declares (catalog, statemachines, resources)."""

    stack_name: str
    region: str
    stage: str
    api_url: str
    user_pool_id: str
    user_pool_client_id: str
    state_machine_arns: dict[str, str]
    function_names: dict[str, str]
    function_alias_arns: dict[str, str]
    table_names: dict[str, str]
    topic_arns: dict[str, str]
    bucket_names: dict[str, str]


def read_outputs(path: str | Path, stack_name: str | None = None) -> DeployedStack:
    """Read ``cdk deploy --outputs-file`` JSON. ``stack_name`` chooses a stack when the file holds several."""
    from catalog import deployment

    file = Path(path)
    try:
        document = json.loads(file.read_text())
    except FileNotFoundError:
        raise OutputsError(
            f"{file}: no such file; write it with `cdk deploy --outputs-file {file}` (README.md, 'Deploy to AWS')"
        ) from None
    except json.JSONDecodeError as error:
        raise OutputsError(f"{file}: not JSON ({error.msg} at line {error.lineno})") from None
    stacks = {name: outputs for name, outputs in document.items() if isinstance(outputs, dict)}
    if stack_name is None:
        duoflow_stacks = [name for name in stacks if name.startswith("duoflow-")]
        if len(duoflow_stacks) != 1:
            raise OutputsError(
                f"{file}: holds {len(duoflow_stacks)} duoflow stacks ({', '.join(duoflow_stacks) or 'none'}); "
                "name the one to use"
            )
        stack_name = duoflow_stacks[0]
    if stack_name not in stacks:
        raise OutputsError(f"{file}: no stack {stack_name!r} (it has: {', '.join(stacks) or 'none'})")
    outputs = stacks[stack_name]
    missing: list[str] = []

    def get(key: str) -> str:
        if key not in outputs:
            missing.append(key)
            return ""
        return str(outputs[key])

    def each(names: list[str], key) -> dict[str, str]:
        return {name: get(key(name)) for name in names}

    functions = [spec.name for spec in deployment.functions()]
    deployed = DeployedStack(
        stack_name=stack_name,
        region=get(REGION),
        stage=get(STAGE),
        api_url=get(API_URL).rstrip("/"),
        user_pool_id=get(USER_POOL_ID),
        user_pool_client_id=get(USER_POOL_CLIENT_ID),
        state_machine_arns=each([spec.name for spec in deployment.state_machines()], state_machine_arn_key),
        function_names=each(functions, function_name_key),
        function_alias_arns=each(functions, function_alias_arn_key),
        table_names=each([spec.name for spec in deployment.tables()], table_name_key),
        topic_arns=each(deployment.topic_names(), topic_arn_key),
        bucket_names=each(deployment.bucket_names(), bucket_name_key),
    )
    if missing:
        raise OutputsError(
            f"{file}: stack {stack_name} lacks {', '.join(missing)}; it was deployed from another version of "
            "duoflow: run `cdk deploy --outputs-file` again"
        )
    return deployed
