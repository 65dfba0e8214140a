"""Everything a deployment holds, as lists: what the CDK app deploys and outputs.py reads back (no CDK here).

functions.py (functions), state_machines.py (state machines), resources.py (tables, topics, buckets, upload
rules). A declaration list a scenario has not added yet reads as empty.
"""

from __future__ import annotations

from catalog import resources
from catalog import state_machines as declared_state_machines
from catalog.functions import CATALOG
from catalog.specs import FunctionSpec
from catalog.state_machines import StateMachineSpec


def functions() -> list[FunctionSpec]:
    return list(CATALOG)


def state_machines() -> list[StateMachineSpec]:
    """STATE_MACHINES and TRAINING_STATE_MACHINES (kept apart for the loan's tests; deployed together)."""
    found: dict[str, StateMachineSpec] = {}
    for spec in [*declared_state_machines.STATE_MACHINES, *declared_state_machines.TRAINING_STATE_MACHINES]:
        found.setdefault(spec.name, spec)
    return list(found.values())


def tables() -> list[resources.TableSpec]:
    return list(resources.TABLES)


def topic_names() -> list[str]:
    return [_name(topic) for topic in resources.TOPICS]


def buckets() -> list[object]:
    return list(getattr(resources, "BUCKETS", ()))


def bucket_names() -> list[str]:
    return [_name(bucket) for bucket in buckets()]


def upload_rules() -> list[object]:
    """Each: ``bucket``, ``prefix``, ``function`` — an object created there invokes the function."""
    return list(getattr(resources, "UPLOAD_RULES", ()))


def stream_rules() -> list[resources.StreamRule]:
    """Each: ``table``, ``function`` — every change to the table invokes the function with its stream record."""
    return list(getattr(resources, "STREAM_RULES", ()))


def _name(spec: object) -> str:
    return spec if isinstance(spec, str) else spec.name
