"""The library versions whose internals the runtime hooks into.

The patches in duoflow/runtime/patches/ (one module per library: moto by service, the durable SDK, botocore,
jsonata-python) hook internals of these versions, and the runtime subclasses the durable testing SDK's store,
scheduler and clock (durable_host.py, time_control.py). A different version may move them: starting the runtime
on another version fails here, with the reason, instead of misbehaving later; the tests under ``tests/runtime``
check each hook.
"""

from __future__ import annotations

from importlib.metadata import version

PINNED = {
    "moto": "5.2.5",
    "aws-durable-execution-sdk-python": "3.0.0",
    "aws-durable-execution-sdk-python-testing": "1.4.0",
    "botocore": "1.44.5",
    "jsonata-python": "0.7.1",
}


class UnsupportedLibraryVersion(RuntimeError):
    pass


def check_versions() -> None:
    wrong = {name: version(name) for name, pinned in PINNED.items() if version(name) != pinned}
    if wrong:
        found = ", ".join(f"{name} {found} (needs {PINNED[name]})" for name, found in wrong.items())
        raise UnsupportedLibraryVersion(
            f"the local runtime hooks into library internals of pinned versions; found {found}. "
            "Install from the lock file: make setup"
        )
