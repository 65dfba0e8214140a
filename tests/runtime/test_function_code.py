"""Each function's own code folders (duoflow/runtime/function_code.py, FunctionSpec.code_paths): handlers that are
all ``app.py`` in different folders stay apart, a module a function's folders hold is imported from them while
it runs (at cold start and inside the handler), another function cannot import it, and the finder is gone after
``stop()``. (Starts its own runtime: does not use the shared fixture.)"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from duoflow.runtime import FunctionSpec, LocalRuntime, function_code
from tests.runtime.conftest import start_runtime

pytestmark = pytest.mark.usefixtures("no_runtime_left_running")

APP = """
import os
import {module}

COLD_START = os.environ["WHO"]

def lambda_handler(event, context):
    import {late}
    return {{"who": COLD_START, "says": {module}.SAYS, "late": {late}.SAYS}}
"""


def write_function(folder: Path, who: str) -> None:
    (folder / "code").mkdir(parents=True)
    (folder / "packages" / f"lib_{who}").mkdir(parents=True)
    (folder / "code" / "app.py").write_text(APP.format(module=f"helper_{who}", late=f"lib_{who}"))
    (folder / "code" / f"helper_{who}.py").write_text(f"SAYS = 'helper of {who}'\n")
    (folder / "packages" / f"lib_{who}" / "__init__.py").write_text(f"SAYS = 'installed for {who}'\n")


def spec(folder: Path, who: str) -> FunctionSpec:
    return FunctionSpec(
        name=f"fn-{who}",
        handler="app.lambda_handler",
        description=who,
        environment={"WHO": who},
        code_paths=(str(folder / "code"), str(folder / "packages")),
    )


def invoke(runtime: LocalRuntime, name: str, payload: dict | None = None) -> tuple[dict, str | None]:
    answer = runtime.client("lambda").invoke(FunctionName=name, Payload=json.dumps(payload or {}))
    return json.loads(answer["Payload"].read()), answer.get("FunctionError")


def test_functions_import_from_their_own_folders(tmp_path: Path) -> None:
    write_function(tmp_path / "a", "a")
    write_function(tmp_path / "b", "b")
    runtime = start_runtime(tmp_path / "state", catalog=[spec(tmp_path / "a", "a"), spec(tmp_path / "b", "b")])
    try:
        assert invoke(runtime, "fn-a") == ({"who": "a", "says": "helper of a", "late": "installed for a"}, None)
        assert invoke(runtime, "fn-b") == ({"who": "b", "says": "helper of b", "late": "installed for b"}, None)
        # both handlers are app.py: each its own module
        assert sys.modules["_duoflow_function_fn_a__app"] is not sys.modules["_duoflow_function_fn_b__app"]
        # outside the functions, their folders are not on the import path
        with pytest.raises(ModuleNotFoundError):
            __import__("lib_a_never_imported")
    finally:
        runtime.stop()
    assert function_code._FINDER not in sys.meta_path


def test_a_function_cannot_import_another_functions_packages(tmp_path: Path) -> None:
    write_function(tmp_path / "a", "a")
    (tmp_path / "b" / "code").mkdir(parents=True)
    (tmp_path / "b" / "code" / "app.py").write_text(
        "def lambda_handler(event, context):\n    import lib_c\n    return 'imported'\n"
    )
    (tmp_path / "a" / "packages" / "lib_c").mkdir()
    (tmp_path / "a" / "packages" / "lib_c" / "__init__.py").write_text("")
    other = FunctionSpec(
        name="fn-b", handler="app.lambda_handler", description="b", code_paths=(str(tmp_path / "b" / "code"),)
    )
    runtime = start_runtime(tmp_path / "state", catalog=[spec(tmp_path / "a", "a"), other])
    try:
        error, kind = invoke(runtime, "fn-b")
        assert kind == "Unhandled"
        assert (error["errorType"], error["errorMessage"]) == ("ModuleNotFoundError", "No module named 'lib_c'")
    finally:
        runtime.stop()


def test_a_missing_handler_module_names_the_function(tmp_path: Path) -> None:
    (tmp_path / "code").mkdir()
    broken = FunctionSpec(name="fn-x", handler="nowhere.handler", description="x", code_paths=(str(tmp_path / "code"),))
    with pytest.raises(ImportError, match=r"function fn-x: no module 'nowhere' in .*code"):
        start_runtime(tmp_path / "state", catalog=[broken])
