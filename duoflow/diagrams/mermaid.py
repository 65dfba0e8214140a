"""A Graph → Mermaid flowchart text (GitHub and most Markdown viewers draw it); Parallel and Map states become
subgraphs."""

from __future__ import annotations

from duoflow.diagrams.graph import Graph, Node

SHAPES = {
    "box": ('["', '"]'),
    "choice": ('{"', '"}'),
    "terminal": ('(["', '"])'),
    "store": ('[("', '")]'),
    "person": ('(["', '"])'),
}
ARROWS = {"catch": "-.->", "data": "-.->"}
CLASSES = {
    "Choice": "fill:#fff8e6,stroke:#b7791f",
    "Succeed": "fill:#eefaf1,stroke:#2f855a",
    "Fail": "fill:#fdeeee,stroke:#c53030",
    "Pass": "fill:#f4f6f8,stroke:#5f6b7a",
    "durable": "fill:#eef4ff,stroke:#3b5bdb",
    "lambda": "fill:#fff4e8,stroke:#c05621",
    "store": "fill:#f3f0ff,stroke:#6b46c1",
    "person": "fill:#e6fffa,stroke:#2c7a7b",
    "service": "fill:#fdf2f8,stroke:#b83280",
    "statemachine": "fill:#fff5f5,stroke:#c05621",
}


def _text(text: str) -> str:
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def to_mermaid(graph: Graph, title: str = "") -> str:
    ids: dict[str, str] = {}
    for index, node in enumerate(graph.walk()):
        ids[node.id] = f"n{index}"
    lines = []
    if title:
        lines += ["---", f"title: {title}", "---"]
    lines.append("flowchart TD")
    _body(graph, ids, lines, "  ")
    used = sorted({node.kind for node in graph.walk() if node.kind in CLASSES})
    for kind in used:
        lines.append(f"  classDef {_class(kind)} {CLASSES[kind]}")
    for kind in used:
        members = [ids[node.id] for node in graph.walk() if node.kind == kind]
        lines.append(f"  class {','.join(members)} {_class(kind)}")
    return "\n".join(lines) + "\n"


def _class(kind: str) -> str:
    return f"k{kind.lower()}"


def _label(node: Node) -> str:
    return _text(node.label) + (f"<br/><small>{_text(node.note)}</small>" if node.note else "")


def _body(graph: Graph, ids: dict[str, str], lines: list[str], indent: str) -> None:
    for node in graph.nodes:
        if node.children:
            lines.append(f'{indent}subgraph {ids[node.id]}["{_label(node)}"]')
            lines.append(f"{indent}  direction TB")
            for b, child in enumerate(node.children):
                lines.append(f'{indent}  subgraph {ids[node.id]}b{b}[" "]')
                _body(child, ids, lines, indent + "    ")
                lines.append(f"{indent}  end")
            lines.append(f"{indent}end")
        else:
            opening, closing = SHAPES.get(node.shape, SHAPES["box"])
            lines.append(f"{indent}{ids[node.id]}{opening}{_label(node)}{closing}")
    for edge in graph.edges:
        if edge.source not in ids or edge.target not in ids:
            continue
        arrow = ARROWS.get(edge.kind, "-->")
        label = f'|"{_text(edge.label)}"|' if edge.label else ""
        lines.append(f"{indent}{ids[edge.source]} {arrow}{label} {ids[edge.target]}")
