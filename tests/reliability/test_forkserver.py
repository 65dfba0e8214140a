"""The fork server parses ahead exactly the state machine definitions a server deploys (else each forked server
parses them again at its start: correct, only slower)."""

from __future__ import annotations

from duoflow.stack import local_stack
from tests.reliability.forkserver import definitions_as_deployed


def test_the_definitions_parsed_ahead_are_the_ones_a_server_deploys() -> None:
    with local_stack() as runtime:
        sfn = runtime.client("stepfunctions")
        deployed = [
            sfn.describe_state_machine(stateMachineArn=machine["stateMachineArn"])["definition"]
            for machine in sfn.list_state_machines()["stateMachines"]
        ]

    assert sorted(definitions_as_deployed()) == sorted(deployed)
