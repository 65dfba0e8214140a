"""What the CDK app deploys, read from the project's single sources (no CDK here: infra/outputs.py uses it too).

duoflow/catalog.py (functions), duoflow/statemachines.py (state machines), duoflow/resources.py (tables, topics,
buckets, upload rules). A declaration list a scenario has not added yet reads as empty.
"""

from __future__ import annotations

from duoflow import resources, statemachines
from duoflow.catalog import CATALOG
from duoflow.runtime.functions import FunctionSpec
from duoflow.statemachines import StateMachineSpec


def functions() -> list[FunctionSpec]:
    return list(CATALOG)


def state_machines() -> list[StateMachineSpec]:
    """STATE_MACHINES and TRAINING_STATE_MACHINES (kept apart for the loan's tests; deployed together)."""
    found: dict[str, StateMachineSpec] = {}
    for spec in [*statemachines.STATE_MACHINES, *getattr(statemachines, "TRAINING_STATE_MACHINES", ())]:
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


def _name(spec: object) -> str:
    return spec if isinstance(spec, str) else spec.name
