"""diagrams/ is generated from the ASL files and the system's declarations; it must not go stale."""

from __future__ import annotations

import json

from catalog.state_machines import STATEMACHINES_DIR
from duoflow.diagrams import DIAGRAMS_DIR, all_diagrams, stale
from duoflow.diagrams.asl import asl_graph
from duoflow.diagrams.layout import layout


def test_diagrams_are_up_to_date():
    assert stale() == [], "run `duoflow diagrams` (or `make diagrams`) and commit diagrams/"


def test_every_asl_file_has_a_diagram_and_every_state_is_drawn():
    names = {diagram.name: diagram for diagram in all_diagrams()}
    for path in STATEMACHINES_DIR.glob("*.asl.json"):
        diagram = names[path.name.removesuffix(".asl.json")]
        definition = json.loads(path.read_text())
        for state in definition["States"]:
            assert f'data-id="{state}"'.replace("&", "&amp;") in diagram.svg, state
        assert diagram.mermaid.startswith("flowchart TD")
    assert (DIAGRAMS_DIR / "architecture.svg").exists()


def test_layout_is_deterministic_and_nodes_do_not_overlap():
    definition = json.loads((STATEMACHINES_DIR / "loan-sfn.asl.json").read_text())
    first, second = layout(asl_graph(definition)), layout(asl_graph(definition))
    assert [(b.x, b.y, b.w, b.h) for b in first.boxes] == [(b.x, b.y, b.w, b.h) for b in second.boxes]
    boxes = first.boxes
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = a.x + a.w <= b.x or b.x + b.w <= a.x or a.y + a.h <= b.y or b.y + b.h <= a.y
            assert apart, (a.node.id, b.node.id)
