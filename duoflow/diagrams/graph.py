"""A diagram as plain data: nodes (some containing sub-graphs, like a Parallel state's branches) and edges.

The ASL reader (asl.py) and the architecture (architecture.py) build these; layout.py places them; svg.py and
mermaid.py write them. Nothing here knows about Step Functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Node shapes: box (a task), choice (a decision), terminal (start/end/succeed/fail), store (a table, a
# bucket), person, group (a container of sub-graphs).
SHAPES = ("box", "choice", "terminal", "store", "person", "group")


@dataclass
class Node:
    id: str
    label: str
    shape: str = "box"
    kind: str = ""  # what it is, for styling: Task, Choice, Succeed, Fail, Pass, Parallel, Map, lambda, ...
    note: str = ""  # a second line in smaller type (the resource a Task calls, a function's role)
    children: list[Graph] = field(default_factory=list)  # branches of a Parallel, the processor of a Map


@dataclass
class Edge:
    source: str
    target: str
    kind: str = "next"  # next, choice, default, catch, end, call, data
    label: str = ""


@dataclass
class Graph:
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    start: str | None = None  # where the flow starts (laid out first)

    def node(self, node_id: str) -> Node:
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)

    def walk(self):
        """Every node, nested ones included."""
        for node in self.nodes:
            yield node
            for child in node.children:
                yield from child.walk()
