"""State machines: every ASL file of catalog/state_machines.py as a STANDARD workflow, definition inlined.

Standard, not Express: the workflows wait for people and services with ``.waitForTaskToken`` (which Express
does not support) for up to 30 minutes (Express runs at most 5). The definition is the ASL file with every
domain-constant ``${Placeholder}`` filled from the spec, inlined in the template (one plain JSON string, so cfn-lint
validates it and a reviewer reads the file as reviewed); the placeholders that name a resource become
CloudFormation DefinitionSubstitutions: functions by their ``live`` alias, never $LATEST.

Logging: every event (level ALL) to CloudWatch Logs, without execution data: inputs and outputs carry
applicants' and employees' personal data, which stays in the execution history (access-controlled, kept 90 days).
``-c log_execution_data=true`` includes it, for debugging a stage without real people in it. X-Ray tracing on.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from catalog.specs import ResourceRef
from catalog.state_machines import StateMachineSpec
from infra.config import Settings
from infra.functions import LOG_RETENTION, WorkflowFunctions
from infra.nag import acknowledge
from infra.permissions import state_machine_access
from infra.references import References


class StateMachines(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        references: References,
        functions: WorkflowFunctions,
        specs: list[StateMachineSpec],
    ) -> None:
        super().__init__(scope, construct_id)
        self.state_machines: dict[str, sfn.StateMachine] = {}
        for spec in specs:
            physical = settings.physical_name(spec.name)
            definition, substitutions = _definition(spec, references, functions)
            role = iam.Role(
                self,
                f"{spec.name}-role",
                assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
                description=f"duoflow {spec.name}: only what its ASL tasks do",
            )
            for access in state_machine_access(spec):
                role.add_to_policy(
                    iam.PolicyStatement(actions=list(access.actions), resources=references.iam_resources(access))
                )
            log_group = logs.LogGroup(
                self,
                f"{spec.name}-logs",
                log_group_name=f"/aws/vendedlogs/states/{physical}",
                retention=LOG_RETENTION,
                removal_policy=RemovalPolicy.DESTROY,
            )
            machine = sfn.StateMachine(
                self,
                spec.name,
                state_machine_name=physical,
                state_machine_type=sfn.StateMachineType.STANDARD,
                comment=spec.description,
                definition_body=sfn.DefinitionBody.from_string(definition),
                definition_substitutions=substitutions,
                role=role,
                logs=sfn.LogOptions(
                    destination=log_group,
                    level=sfn.LogLevel.ALL,
                    include_execution_data=settings.log_execution_data,
                ),
                tracing_enabled=True,
            )
            acknowledge(
                role,
                "IAM5",
                "CloudWatch Logs' log-delivery actions and X-Ray's trace actions have no resource-level "
                "permissions; CDK adds them for the state machine's logging and tracing.",
                finding="Resource::*",
            )
            self.state_machines[spec.name] = machine


def _definition(
    spec: StateMachineSpec, references: References, functions: WorkflowFunctions
) -> tuple[str, dict[str, str]]:
    """The ASL with every domain constant filled in, and CloudFormation's DefinitionSubstitutions for the
    placeholders that name a resource (the same placeholder names as in the ASL file: a function's is its live
    alias). The definition stays one plain JSON string in the template, exactly the reviewed file with the
    constants in it, which cfn-lint validates; CloudFormation puts the ARNs in at deployment."""
    where = f"catalog/state_machines.py: {spec.name}"
    names = {value: name for name, value in spec.placeholders.items() if isinstance(value, ResourceRef)}
    substitutions = {
        name: references.value(ref, function_arn=lambda callee: functions.aliases[callee].function_arn, where=where)
        for ref, name in names.items()
    }
    return spec.definition(lambda ref: "${" + names[ref] + "}"), substitutions
