"""Every state machine duoflow deploys (duoflow/stack.py deploys the loan's and the training's lists)."""

from __future__ import annotations

from typing import Any


def all_state_machines() -> list[Any]:
    from catalog import state_machines

    machines = [*state_machines.STATE_MACHINES, *state_machines.TRAINING_STATE_MACHINES]
    return list({machine.name: machine for machine in machines}.values())
