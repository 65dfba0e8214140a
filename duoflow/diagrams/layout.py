"""A small layered (Sugiyama-style) layout, top to bottom, deterministic: the same graph gives the same
coordinates on every machine (text widths are estimated, not measured), so generated SVGs can be compared in a
staleness test and the console draws exactly what ``duoflow diagrams`` writes.

Steps: break cycles (back edges are laid out reversed), longest-path layers, dummy nodes on long edges,
barycentre ordering sweeps that keep the fewest crossings, then x positions by weighted isotonic regression
(each node as close as possible to its neighbours, never overlapping: pool-adjacent-violators), edges as
smooth curves through their dummy nodes. Nodes holding sub-graphs (Parallel branches) are laid out inside out.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

from duoflow.diagrams.graph import Edge, Graph, Node

FONT_SIZE = 13
CHAR_WIDTH = 7.3  # DejaVu Sans / Liberation Sans at 13 px, on average
NOTE_CHAR_WIDTH = 6.1
LINE_HEIGHT = 16
NOTE_LINE_HEIGHT = 14
WRAP = 24
NODE_PAD_X, NODE_PAD_Y = 14, 9
MIN_WIDTH = 96
LAYER_GAP = 46
NODE_GAP = 28
DUMMY_WIDTH = 12
GROUP_PAD, GROUP_HEADER, BRANCH_GAP = 12, 26, 18
SWEEPS = 12
EDGE_WEIGHT = {"next": 1.0, "choice": 1.0, "default": 1.0, "end": 0.6, "call": 0.8, "data": 0.4, "catch": 0.15}


@dataclass
class Box:
    node: Node
    x: float = 0  # top-left
    y: float = 0
    w: float = 0
    h: float = 0
    lines: list[str] = field(default_factory=list)
    note_lines: list[str] = field(default_factory=list)
    children: list[Placed] = field(default_factory=list)  # laid-out sub-graphs, positioned inside the box
    child_offsets: list[tuple[float, float]] = field(default_factory=list)

    @property
    def cx(self) -> float:
        return self.x + self.w / 2


@dataclass
class Route:
    edge: Edge
    points: list[tuple[float, float]]
    label_at: tuple[float, float] | None = None


@dataclass
class Placed:
    boxes: list[Box]
    routes: list[Route]
    width: float
    height: float

    def box(self, node_id: str) -> Box:
        return next(box for box in self.boxes if box.node.id == node_id)


def wrap(text: str, width: int = WRAP) -> list[str]:
    return textwrap.wrap(text, width=width, break_long_words=True, break_on_hyphens=False) or [""]


def _size(node: Node) -> Box:
    box = Box(node)
    if node.children:
        placed = [layout(child) for child in node.children]
        box.children = placed
        width = sum(p.width for p in placed) + BRANCH_GAP * (len(placed) - 1) + 2 * GROUP_PAD
        height = max(p.height for p in placed) + GROUP_HEADER + GROUP_PAD
        header = node.label + (f" · {node.note}" if node.note else "")
        box.lines = [node.label]
        box.w = max(width, len(header) * CHAR_WIDTH + 2 * NODE_PAD_X)
        box.h = height
        x = GROUP_PAD + (box.w - width) / 2
        for p in placed:
            box.child_offsets.append((x, GROUP_HEADER))
            x += p.width + BRANCH_GAP
        return box
    box.lines = wrap(node.label)
    box.note_lines = wrap(node.note, 32) if node.note else []
    text_width = max(
        max(len(line) for line in box.lines) * CHAR_WIDTH,
        max((len(line) for line in box.note_lines), default=0) * NOTE_CHAR_WIDTH,
    )
    extra = 28 if node.shape == "choice" else 10 if node.shape == "terminal" else 0
    box.w = round(max(MIN_WIDTH, text_width + 2 * NODE_PAD_X + extra))
    box.h = round(len(box.lines) * LINE_HEIGHT + len(box.note_lines) * NOTE_LINE_HEIGHT + 2 * NODE_PAD_Y)
    return box


def layout(graph: Graph) -> Placed:
    boxes = {node.id: _size(node) for node in graph.nodes}
    order = [node.id for node in graph.nodes]
    edges = _unique_edges(graph.edges, boxes)

    # 1. cycles: a depth-first walk from the start; an edge back to a node on the walk is laid out reversed
    adjacency: dict[str, list[str]] = {node_id: [] for node_id in order}
    for edge in edges:
        adjacency[edge.source].append(edge.target)
    reversed_edges: set[tuple[str, str]] = set()
    seen: set[str] = set()
    on_path: set[str] = set()
    discovery: list[str] = []

    def visit(start: str) -> None:
        stack = [(start, iter(adjacency[start]))]
        seen.add(start)
        on_path.add(start)
        discovery.append(start)
        while stack:
            node_id, children = stack[-1]
            for child in children:
                if child in on_path:
                    reversed_edges.add((node_id, child))
                elif child not in seen:
                    seen.add(child)
                    on_path.add(child)
                    discovery.append(child)
                    stack.append((child, iter(adjacency[child])))
                    break
            else:
                stack.pop()
                on_path.discard(node_id)

    for root in ([graph.start] if graph.start in boxes else []) + order:
        if root not in seen:
            visit(root)

    directed = [
        (e.target, e.source, e, True) if (e.source, e.target) in reversed_edges else (e.source, e.target, e, False)
        for e in edges
    ]

    # 2. layers: longest path from the sources
    incoming: dict[str, list[str]] = {node_id: [] for node_id in order}
    for source, target, _, _ in directed:
        incoming[target].append(source)
    layer: dict[str, int] = {}

    def depth(node_id: str) -> int:
        if node_id not in layer:
            layer[node_id] = 0  # guards against a cycle the walk missed
            layer[node_id] = max((depth(parent) + 1 for parent in incoming[node_id] if parent != node_id), default=0)
        return layer[node_id]

    for node_id in discovery:
        depth(node_id)

    # 3. dummy nodes: every edge spans one layer
    layers: list[list[str]] = [[] for _ in range(max(layer.values(), default=0) + 1)]
    for node_id in discovery:
        layers[layer[node_id]].append(node_id)
    widths = {node_id: box.w for node_id, box in boxes.items()}
    heights = {node_id: box.h for node_id, box in boxes.items()}
    segments: list[tuple[str, str, float]] = []  # (upper, lower, weight)
    chains: list[tuple[Edge, bool, list[str]]] = []
    for index, (source, target, edge, is_reversed) in enumerate(directed):
        chain = [source]
        for level in range(layer[source] + 1, layer[target]):
            dummy = f"\0{index}:{level}"
            layers[level].append(dummy)
            widths[dummy], heights[dummy] = DUMMY_WIDTH, 0
            chain.append(dummy)
        chain.append(target)
        weight = EDGE_WEIGHT.get(edge.kind, 1.0)
        segments += [(upper, lower, weight) for upper, lower in zip(chain, chain[1:], strict=False)]
        chains.append((edge, is_reversed, chain))

    # 4. order within layers: barycentre sweeps, keeping the order with the fewest crossings
    ups: dict[str, list[tuple[str, float]]] = {}
    downs: dict[str, list[tuple[str, float]]] = {}
    for upper, lower, weight in segments:
        downs.setdefault(upper, []).append((lower, weight))
        ups.setdefault(lower, []).append((upper, weight))
    best, best_crossings = [list(level) for level in layers], _crossings(layers, downs)
    for sweep in range(SWEEPS):
        downward = sweep % 2 == 0
        indices = range(1, len(layers)) if downward else range(len(layers) - 2, -1, -1)
        for i in indices:
            neighbours = ups if downward else downs
            reference = {node_id: position for position, node_id in enumerate(layers[i - 1 if downward else i + 1])}
            layers[i] = _by_barycentre(layers[i], neighbours, reference)
        crossings = _crossings(layers, downs)
        if crossings < best_crossings:
            best, best_crossings = [list(level) for level in layers], crossings
    layers = best

    # 5. x: each node near the weighted mean of its neighbours, in order, never overlapping
    xs: dict[str, float] = {}
    for level in layers:
        x = 0.0
        for node_id in level:
            xs[node_id] = x + widths[node_id] / 2
            x += widths[node_id] + NODE_GAP
    for sweep in range(8):
        downward = sweep % 2 == 0
        indices = range(1, len(layers)) if downward else range(len(layers) - 2, -1, -1)
        for i in indices:
            neighbours = ups if downward else downs
            _place(layers[i], neighbours, xs, widths)
    for i in range(len(layers)):  # a last, balanced pass over both neighbours
        both = {n: ups.get(n, []) + downs.get(n, []) for n in layers[i]}
        _place(layers[i], both, xs, widths)
    left = min(xs[n] - widths[n] / 2 for level in layers for n in level) if xs else 0
    for node_id in xs:
        xs[node_id] -= left

    # 6. y: layer by layer
    ys: dict[str, float] = {}
    y = 0.0
    for level in layers:
        height = max((heights[n] for n in level), default=0)
        for node_id in level:
            ys[node_id] = y + height / 2
        y += height + LAYER_GAP
    total_height = max(y - LAYER_GAP, 0)
    total_width = max((xs[n] + widths[n] / 2 for level in layers for n in level), default=0)

    for node_id, box in boxes.items():
        box.x, box.y = round(xs[node_id] - box.w / 2, 1), round(ys[node_id] - box.h / 2, 1)

    # 7. edges: leave the bottom of the upper node, enter the top of the lower one, spread along the side
    out_slots = _slots(chains, boxes, xs, outgoing=True)
    in_slots = _slots(chains, boxes, xs, outgoing=False)
    routes = []
    for index, (edge, is_reversed, chain) in enumerate(chains):
        upper, lower = boxes[chain[0]], boxes[chain[-1]]
        points = [(out_slots[index], upper.y + upper.h)]
        points += [(round(xs[dummy], 1), round(ys[dummy], 1)) for dummy in chain[1:-1]]
        points.append((in_slots[index], lower.y))
        if is_reversed:
            points.reverse()
        label_at = None
        if edge.label:  # in the gap below the node the edge leaves
            (ax, ay), (bx, by) = points[0], points[1]
            label_at = ((ax + bx) / 2, (ay + by) / 2)
        rounded = [(round(px, 1), round(py, 1)) for px, py in points]
        routes.append(Route(edge, rounded, (round(label_at[0], 1), round(label_at[1], 1)) if label_at else None))
    return Placed(list(boxes.values()), routes, round(total_width, 1), round(total_height, 1))


def _unique_edges(edges: list[Edge], boxes: dict[str, Box]) -> list[Edge]:
    """One edge per pair of nodes (a Catch to the state the Next goes to anyway adds nothing to the picture);
    edges to unknown nodes are dropped (the ASL linter reports those)."""
    unique: dict[tuple[str, str], Edge] = {}
    for edge in edges:
        if edge.source in boxes and edge.target in boxes and edge.source != edge.target:
            unique.setdefault((edge.source, edge.target), edge)
    return list(unique.values())


def _by_barycentre(level: list[str], neighbours: dict, reference: dict[str, int]) -> list[str]:
    def key(item: tuple[int, str]) -> tuple[float, int]:
        position, node_id = item
        linked = [(reference[n], w) for n, w in neighbours.get(node_id, []) if n in reference]
        if not linked:
            return (float(position), position)
        return (sum(p * w for p, w in linked) / sum(w for _, w in linked), position)

    return [node_id for _, node_id in sorted(enumerate(level), key=key)]


def _crossings(layers: list[list[str]], downs: dict) -> int:
    total = 0
    for upper, lower in zip(layers, layers[1:], strict=False):
        position = {node_id: i for i, node_id in enumerate(lower)}
        pairs = sorted((i, position[target]) for i, source in enumerate(upper) for target, _ in downs.get(source, []))
        for a in range(len(pairs)):
            for b in range(a + 1, len(pairs)):
                if pairs[a][0] < pairs[b][0] and pairs[a][1] > pairs[b][1]:
                    total += 1
    return total


def _place(level: list[str], neighbours: dict, xs: dict[str, float], widths: dict[str, float]) -> None:
    """Positions as close to the wanted ones as the order and the gaps allow (weighted isotonic regression)."""
    wanted, weights = [], []
    for node_id in level:
        linked = neighbours.get(node_id, [])
        total = sum(w for _, w in linked)
        wanted.append(sum(xs[n] * w for n, w in linked) / total if total else xs[node_id])
        weights.append(total if total else 0.05)
    offsets, offset = [], 0.0
    for i, node_id in enumerate(level):
        if i:
            offset += (widths[level[i - 1]] + widths[node_id]) / 2 + NODE_GAP
        offsets.append(offset)
    blocks: list[list[float]] = []  # [value, weight, count]
    for target, weight, offset in zip(wanted, weights, offsets, strict=True):
        blocks.append([target - offset, weight, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            value, w, count = blocks.pop()
            previous = blocks[-1]
            previous[0] = (previous[0] * previous[1] + value * w) / (previous[1] + w)
            previous[1] += w
            previous[2] += count
    i = 0
    for value, _, count in blocks:
        for _ in range(count):
            xs[level[i]] = value + offsets[i]
            i += 1


def _slots(chains, boxes: dict[str, Box], xs: dict[str, float], outgoing: bool) -> dict[int, float]:
    """Where each edge meets a node: spread along the node's bottom (outgoing) or top, ordered by where the
    edge goes, so edges leaving one node do not cross at once."""
    by_node: dict[str, list[tuple[float, int]]] = {}
    for index, (_, _, chain) in enumerate(chains):
        end, toward = (chain[0], chain[1]) if outgoing else (chain[-1], chain[-2])
        by_node.setdefault(end, []).append((xs[toward], index))
    slots = {}
    for node_id, items in by_node.items():
        box = boxes[node_id]
        items.sort()
        usable = min(box.w * 0.6, 22.0 * (len(items) - 1))
        for k, (_, index) in enumerate(items):
            shift = 0.0 if len(items) == 1 else -usable / 2 + usable * k / (len(items) - 1)
            slots[index] = round(box.cx + shift, 1)
    return slots
