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
