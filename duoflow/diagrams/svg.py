"""A laid-out Graph → an SVG document: deterministic text (same layout, same bytes), styled by classes so the
console can colour each state by what happened (``g.node[data-id]``; the shape inside has class ``shape``).
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from duoflow.diagrams.layout import (
    CHAR_WIDTH,
    FONT_SIZE,
    GROUP_HEADER,
    LINE_HEIGHT,
    NODE_PAD_Y,
    NOTE_LINE_HEIGHT,
    Box,
    Placed,
    Route,
)

MARGIN = 16
FONT = "DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif"

STYLE = f"""
.duoflow-diagram {{ font-family: {FONT}; font-size: {FONT_SIZE}px; }}
.duoflow-diagram .shape {{ fill: #ffffff; stroke: #5f6b7a; stroke-width: 1.3; }}
.duoflow-diagram .k-choice > .shape {{ fill: #fff8e6; stroke: #b7791f; }}
.duoflow-diagram .k-succeed > .shape {{ fill: #eefaf1; stroke: #2f855a; }}
.duoflow-diagram .k-fail > .shape {{ fill: #fdeeee; stroke: #c53030; }}
.duoflow-diagram .k-pass > .shape {{ fill: #f4f6f8; }}
.duoflow-diagram .k-start > .shape, .duoflow-diagram .k-end > .shape {{ fill: #e9edf2; stroke: #8a96a3; }}
.duoflow-diagram .k-parallel > .shape, .duoflow-diagram .k-map > .shape,
.duoflow-diagram .k-group > .shape {{ fill: #f7f9fc; stroke: #8a96a3; stroke-dasharray: 5 3; }}
.duoflow-diagram .k-durable > .shape {{ fill: #eef4ff; stroke: #3b5bdb; }}
.duoflow-diagram .k-lambda > .shape {{ fill: #fff4e8; stroke: #c05621; }}
.duoflow-diagram .k-store > .shape {{ fill: #f3f0ff; stroke: #6b46c1; }}
.duoflow-diagram .k-person > .shape {{ fill: #e6fffa; stroke: #2c7a7b; }}
.duoflow-diagram .k-service > .shape {{ fill: #fdf2f8; stroke: #b83280; }}
.duoflow-diagram .k-statemachine > .shape {{ fill: #fff5f5; stroke: #c05621; stroke-width: 1.8; }}
.duoflow-diagram .label {{ fill: #1a202c; text-anchor: middle; }}
.duoflow-diagram .note {{ fill: #4a5568; font-size: 11px; text-anchor: middle; }}
.duoflow-diagram .group-label {{ fill: #2d3748; font-weight: bold; }}
.duoflow-diagram .edge {{ fill: none; stroke: #718096; stroke-width: 1.3; }}
.duoflow-diagram .e-catch {{ stroke: #c53030; stroke-dasharray: 5 3; }}
.duoflow-diagram .e-data {{ stroke-dasharray: 2 3; }}
.duoflow-diagram .edge-label {{ fill: #4a5568; font-size: 11px; text-anchor: middle; }}
.duoflow-diagram .e-catch-label {{ fill: #c53030; }}
.duoflow-diagram .edge-label-bg {{ fill: #ffffff; opacity: 0.9; }}
"""


def _n(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def render(placed: Placed, title: str = "", description: str = "") -> str:
    width, height = placed.width + 2 * MARGIN, placed.height + 2 * MARGIN
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="duoflow-diagram" viewBox="0 0 {_n(width)} {_n(height)}" '
        f'width="{_n(width)}" height="{_n(height)}" role="img"'
        + (f" aria-label={quoteattr(title)}" if title else "")
        + ">",
    ]
    if title:
        parts.append(f"<title>{escape(title)}</title>")
    if description:
        parts.append(f"<desc>{escape(description)}</desc>")
    parts.append(f"<style>{STYLE}</style>")
    parts.append(
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#718096"/></marker>'
        '<marker id="arrow-catch" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#c53030"/></marker></defs>'
    )
    parts.append(f'<g transform="translate({MARGIN},{MARGIN})">')
    _graph(placed, parts)
    parts.append("</g></svg>")
    return "\n".join(parts) + "\n"


def _graph(placed: Placed, parts: list[str]) -> None:
    parts.append('<g class="edges">')
    for route in placed.routes:
        _edge(route, parts)
    parts.append("</g>")
    for box in placed.boxes:
        _node(box, parts)
    parts.append('<g class="edge-labels">')
    for route in placed.routes:
        _edge_label(route, parts)
    parts.append("</g>")


def _kind_class(box: Box) -> str:
    kind = (box.node.kind or box.node.shape).lower().replace(" ", "-")
    return f"node k-{kind}" + (f" s-{box.node.shape}" if box.node.shape else "")


def _node(box: Box, parts: list[str]) -> None:
    node = box.node
    x, y, w, h = box.x, box.y, box.w, box.h
    tooltip = node.label + (f" — {node.note}" if node.note else "")
    parts.append(
        f'<g class="{_kind_class(box)}" data-id={quoteattr(node.id)} data-kind={quoteattr(node.kind)} tabindex="0" '
        f'role="button" aria-label={quoteattr(tooltip)}>'
    )
    parts.append(f"<title>{escape(tooltip)}</title>")
    if node.shape == "choice":
        d = 14
        points = [(x + d, y), (x + w - d, y), (x + w, y + h / 2), (x + w - d, y + h), (x + d, y + h), (x, y + h / 2)]
        parts.append(f'<polygon class="shape" points="{" ".join(f"{_n(px)},{_n(py)}" for px, py in points)}"/>')
    elif node.shape in ("terminal", "person"):
        parts.append(
            f'<rect class="shape" x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" rx="{_n(min(h / 2, 18))}"/>'
        )
    elif node.shape == "store":
        parts.append(f'<rect class="shape" x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" rx="3"/>')
        parts.append(f'<path class="edge" d="M{_n(x)},{_n(y + 6)} H{_n(x + w)}"/>')
    elif node.shape == "group":
        parts.append(f'<rect class="shape" x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" rx="8"/>')
    else:
        parts.append(f'<rect class="shape" x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" rx="6"/>')
    if node.children:
        parts.append(
            f'<text class="group-label" x="{_n(x + 10)}" y="{_n(y + GROUP_HEADER / 2 + 5)}">'
            f"{escape(node.label + (f' · {node.note}' if node.note else ''))}</text>"
        )
        parts.append("</g>")
        for child, (ox, oy) in zip(box.children, box.child_offsets, strict=True):
            parts.append(f'<g class="branch" transform="translate({_n(x + ox)},{_n(y + oy)})">')
            _graph(child, parts)
            parts.append("</g>")
        return
    text_y = y + NODE_PAD_Y + LINE_HEIGHT - 4
    for line in box.lines:
        parts.append(f'<text class="label" x="{_n(x + w / 2)}" y="{_n(text_y)}">{escape(line)}</text>')
        text_y += LINE_HEIGHT
    for line in box.note_lines:
        parts.append(f'<text class="note" x="{_n(x + w / 2)}" y="{_n(text_y - 1)}">{escape(line)}</text>')
        text_y += NOTE_LINE_HEIGHT
    parts.append("</g>")


def path_data(points: list[tuple[float, float]]) -> str:
    """A smooth curve through the points, vertical at each of them."""
    (x0, y0), rest = points[0], points[1:]
    d = [f"M{_n(x0)},{_n(y0)}"]
    px, py = x0, y0
    for x, y in rest:
        bend = (y - py) / 2
        d.append(f"C{_n(px)},{_n(py + bend)} {_n(x)},{_n(y - bend)} {_n(x)},{_n(y)}")
        px, py = x, y
    return " ".join(d)


def _edge(route: Route, parts: list[str]) -> None:
    kind = route.edge.kind
    marker = "arrow-catch" if kind == "catch" else "arrow"
    parts.append(
        f'<path class="edge e-{kind}" data-from={quoteattr(route.edge.source)} data-to={quoteattr(route.edge.target)} '
        f'd="{path_data(route.points)}" marker-end="url(#{marker})"/>'
    )


def _edge_label(route: Route, parts: list[str]) -> None:
    if not route.edge.label or route.label_at is None:
        return
    x, y = route.label_at
    width = len(route.edge.label) * CHAR_WIDTH * 0.85 + 6
    parts.append(
        f'<rect class="edge-label-bg" x="{_n(x - width / 2)}" y="{_n(y - 8)}" width="{_n(width)}" height="14" rx="3"/>'
    )
    extra = " e-catch-label" if route.edge.kind == "catch" else ""
    parts.append(f'<text class="edge-label{extra}" x="{_n(x)}" y="{_n(y + 3)}">{escape(route.edge.label)}</text>')
