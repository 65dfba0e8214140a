"""Diagrams generated from real files: one per ASL file in statemachines/ and one of the whole system.

    duoflow diagrams            writes diagrams/<name>.mmd and diagrams/<name>.svg
    duoflow diagrams --check    exits 1 and names the stale files (tests/ui/test_diagrams.py runs the same check)

The SVGs come from duoflow's own deterministic layout (layout.py), the same one the web console draws an
execution's graph with; the Mermaid sources render on GitHub.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from catalog.functions import CATALOG
from catalog.specs import ResourceRef
from catalog.state_machines import STATEMACHINES_DIR
from duoflow.diagrams.architecture import architecture_graph
from duoflow.diagrams.asl import asl_graph, function_name_from_arn
from duoflow.diagrams.layout import layout
from duoflow.diagrams.mermaid import to_mermaid
from duoflow.diagrams.sources import all_state_machines
from duoflow.diagrams.svg import render

DIAGRAMS_DIR = STATEMACHINES_DIR.parent / "diagrams"
DURABLE_FUNCTIONS = frozenset(spec.name for spec in CATALOG if spec.durable)


@dataclass(frozen=True)
class Diagram:
    name: str
    title: str
    mermaid: str
    svg: str


def namer_for(asl_file: str):
    """Function names for a raw ASL file: its ${Placeholder}s resolved through the state machine's spec."""
    placeholders = {}
    for machine in all_state_machines():
        if machine.asl_file == asl_file:
            placeholders = {
                f"${{{key}}}": value.logical_name
                for key, value in machine.placeholders.items()
                if isinstance(value, ResourceRef) and value.kind == "function"
            }

    def name(value: str) -> str | None:
        return placeholders.get(value) or function_name_from_arn(value)

    return name


def state_machine_diagram(path: Path) -> Diagram:
    definition = json.loads(path.read_text())
    graph = asl_graph(definition, namer_for(path.name), DURABLE_FUNCTIONS)
    name = path.name.removesuffix(".asl.json")
    title = f"{path.name}: {definition.get('Comment', '').split('.')[0]}"
    return Diagram(name, title, to_mermaid(graph), render(layout(graph), title=title))


def architecture_diagram() -> Diagram:
    graph = architecture_graph()
    title = "duoflow: the deployed system (from catalog/: functions, state machines, resources; services/api/routes.py)"
    return Diagram("architecture", title, to_mermaid(graph), render(layout(graph), title=title))


def all_diagrams() -> list[Diagram]:
    return [state_machine_diagram(path) for path in sorted(STATEMACHINES_DIR.glob("*.asl.json"))] + [
        architecture_diagram()
    ]


def expected_files() -> dict[str, str]:
    files = {}
    for diagram in all_diagrams():
        files[f"{diagram.name}.mmd"] = diagram.mermaid
        files[f"{diagram.name}.svg"] = diagram.svg
    return files


def write(out_dir: Path = DIAGRAMS_DIR) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in expected_files().items():
        path = out_dir / name
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
        written.append(path)
    return written


def stale(out_dir: Path = DIAGRAMS_DIR) -> list[str]:
    """Files that are missing, differ from what the sources give now, or no longer have a source."""
    expected = expected_files()
    found = []
    for name, text in expected.items():
        path = out_dir / name
        if not path.exists():
            found.append(f"{name} (missing)")
        elif path.read_text() != text:
            found.append(f"{name} (out of date)")
    for path in sorted(out_dir.glob("*")):
        if path.suffix in (".mmd", ".svg") and path.name not in expected:
            found.append(f"{path.name} (no source any more)")
    return found
