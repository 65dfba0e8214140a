"""Who may import whom: the declarations (catalog/) are read by the local runtime and the CDK app and import
neither; the CDK app does not import the tool; the runtime knows no scenario (only the shape of a catalog entry)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# package (folder) → top-level packages, or dotted modules, it must not import, at module level or inside functions
FORBIDDEN = {
    "catalog": ("duoflow", "infra", "services", "durable"),
    "infra": ("duoflow",),
    "duoflow/runtime": ("infra", "services", "durable", "domain", "catalog.functions", "catalog.resources"),
}


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize("package", FORBIDDEN)
def test_a_package_imports_nothing_it_must_not(package):
    broken = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for module in imported_modules(path):
            for forbidden in FORBIDDEN[package]:
                if module == forbidden or module.startswith(forbidden + "."):
                    broken.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not broken, "\n".join(broken)


# Explicit wiring (services/common/bootstrap.py): only entry points take the process's adapters; every business
# step and durable flow is handed them, so a test hands its own the same way.
ENTRY_POINT_FOLDERS = ("services/loan", "services/training", "services/simulated", "durable")


def callers_of_wired(path: Path) -> list[str]:
    """Names of the functions in ``path`` that call ``wired()``."""
    found = []
    for function in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(function, ast.FunctionDef):
            calls = [node for node in ast.walk(function) if isinstance(node, ast.Call)]
            if any(isinstance(call.func, ast.Name) and call.func.id == "wired" for call in calls):
                found.append(function.name)
    return found


@pytest.mark.parametrize("folder", ENTRY_POINT_FOLDERS)
def test_only_lambda_handlers_take_the_process_adapters(folder):
    broken = [
        f"{path.relative_to(ROOT)}: {name}() calls wired(); take the adapters as a parameter instead"
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path.name != "wiring.py"  # durable_handler: the durable flows' entry point
        for name in callers_of_wired(path)
        if not name.endswith("handler")
    ]
    assert not broken, "\n".join(broken)


def test_the_rule_above_sees_a_step_that_takes_the_process_adapters(tmp_path):
    step = tmp_path / "step.py"
    step.write_text("def record(event):\n    return wired().progress\n\ndef handler(event, context):\n    wired()\n")
    assert callers_of_wired(step) == ["record", "handler"]
