"""``draw_dot``: a computation graph as a Graphviz drawing, micrograd style.

Each node is a record ``label | data | grad`` (an HTML-like table, so any
label text is safe), each op a small separate node named by the op's own
``symbol``, and edges run child -> op -> node.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping

from engine import Constant, Value
from viz.drawing import GraphDrawing
from viz.labels import html_text, number
from viz.layout import Collapse, View, check_collapse, plan_view

__all__ = ["KIND_COLORS", "draw_dot", "node_kind"]

KIND_COLORS = {
    "output": "#fcd34d",
    "parameter": "#93c5fd",
    "input": "#86efac",
    "constant": "#e5e7eb",
    "computed": "#ffffff",
    "scope": "#ddd6fe",
}
"""Fill colour of the label cell for each kind of node (and of merged scopes)."""

HIGHLIGHT = "#dc2626"
FONT = "Helvetica"
RANKDIRS = ("LR", "RL", "TB", "BT")
QUICK_LAYOUT_FROM = 150
"""Drawings with more boxes than this get Graphviz's quick-layout limits
(``mclimit``, ``nslimit``): a 900-node collapsed MLP loss then lays out in
about 1.5 s instead of about 45 s, with a layout that is nearly as tidy."""


def node_kind(node: Value, root: Value, params: Collection[Value] = ()) -> str:
    """'output', 'parameter', 'input', 'constant' or 'computed'.

    Parameters are leaves made inside a module's scope (see
    :func:`engine.name_scope`) or nodes listed in ``params``; inputs are the
    other leaves.
    """
    if node is root:
        return "output"
    if node in params:
        return "parameter"
    if type(node) is Constant:
        return "constant"
    if node._children:
        return "computed"
    return "parameter" if node._scope else "input"


def _heat(magnitude: float, largest: float) -> str:
    """White for 0 up to orange for the largest gradient (square-root scale)."""
    t = math.sqrt(magnitude / largest) if largest > 0 else 0.0
    low, high = (255, 255, 255), (249, 115, 22)
    r, g, b = (round(lo + (hi - lo) * t) for lo, hi in zip(low, high))
    return f"#{r:02x}{g:02x}{b:02x}"


def _record(
    node: Value, kind: str, grad: float, grad_fill: str | None, border: str | None
) -> str:
    """The HTML-like ``label | data | grad`` table for one node."""
    label = node.label or ("const" if kind == "constant" else "")
    cells = []
    if label:
        cells.append(f'<td bgcolor="{KIND_COLORS[kind]}"><b>{html_text(label)}</b></td>')
    else:
        cells.append(f'<td bgcolor="{KIND_COLORS[kind]}"> </td>')
    cells.append(f"<td>data {html_text(number(node._data))}</td>")
    fill = f' bgcolor="{grad_fill}"' if grad_fill else ""
    grad_text = "—" if kind == "constant" else number(grad)
    cells.append(f"<td{fill}>grad {html_text(grad_text)}</td>")
    frame = f' color="{border}" border="3"' if border else ' border="0"'
    return (
        f'<<table{frame} cellborder="1" cellspacing="0" cellpadding="4">'
        f"<tr>{''.join(cells)}</tr></table>>"
    )


def _group_record(scope: str, members: list[Value], root: Value) -> str:
    params = sum(1 for m in members if node_kind(m, root) == "parameter")
    lines = [f"<b>{html_text(f'{len(members):,} nodes in {scope}')}</b>"]
    if params:
        lines.append(html_text(f"{params:,} parameter{'s' if params != 1 else ''}"))
    return (
        f'<<table border="1" cellborder="0" cellspacing="0" cellpadding="6" '
        f'bgcolor="{KIND_COLORS["scope"]}" style="rounded"><tr><td>'
        f"{'<br/>'.join(lines)}</td></tr></table>>"
    )


def render_view(
    root: Value,
    view: View,
    *,
    format: str = "svg",
    rankdir: str = "LR",
    params: Collection[Value] = (),
    color_grad: bool = False,
    grads: Mapping[Value, float] | None = None,
    highlight: Mapping[Value, str] | None = None,
    highlight_edges: Collection[tuple[Value, Value]] = (),
    caption: str | None = None,
) -> GraphDrawing:
    """Emit the DOT for a planned :class:`View` (used by ``draw_dot`` and the
    backprop frames; ``grads`` overrides the nodes' ``.grad`` values)."""
    dot = GraphDrawing(format=format)
    dot.attr(rankdir=rankdir, fontname=FONT, labelloc="t", bgcolor="white")
    dot.attr("node", fontname=FONT, fontsize="12", shape="plain")
    dot.attr("edge", color="#6b7280", arrowsize="0.7")
    highlight = highlight or {}
    grad_of = (lambda n: grads.get(n, 0.0)) if grads is not None else (lambda n: n._grad)
    largest = 0.0
    if color_grad:
        largest = max((abs(grad_of(n)) for n in view.order), default=0.0)
    shown_nodes = [(i, n) for i, n in enumerate(view.order) if f"n{i}" in view.shown]
    for i, node in shown_nodes:
        kind = node_kind(node, root, params)
        g = grad_of(node)
        fill = _heat(abs(g), largest) if color_grad and kind != "constant" else None
        dot.node(f"n{i}", _record(node, kind, g, fill, highlight.get(node)))
        if node._fn is not None:
            dot.node(
                f"n{i}op",
                f"<{html_text(node._fn.symbol)}>",
                shape="ellipse",
                style="filled",
                fillcolor="#f3f4f6",
                fontsize="10",
                margin="0.02",
                height="0.3",
            )
            dot.edge(f"n{i}op", f"n{i}", **_edge_style((node, node) in highlight_edges))
    for gid, (scope, members) in view.groups.items():
        if gid in view.shown:
            dot.node(gid, _group_record(scope, members, root))
    for box in sorted(view.shown, key=_box_order):
        _edges_into(dot, view, box, highlight_edges)
    if view.frontier:
        dot.node(
            "hidden",
            f"<{html_text(f'⋯ {view.hidden_count:,} hidden nodes')}>",
            shape="box",
            style="dashed,rounded",
            fontcolor="#6b7280",
            color="#9ca3af",
        )
        for box in sorted(view.frontier, key=_box_order):
            target = f"{box}op" if _has_op(view, box) else box
            dot.edge("hidden", target, style="dashed", color="#9ca3af")
    if view.box_count > QUICK_LAYOUT_FROM:
        dot.attr(mclimit="0.1", nslimit="1", nslimit1="1")
    notes = [*view.notes, *([caption] if caption else [])]
    if notes:
        dot.attr(label=f"<{'<br/>'.join(html_text(n) for n in notes)}>", fontsize="13")
    return dot


def _box_order(box: str) -> tuple[str, int]:
    return box[0], int(box[1:])


def _has_op(view: View, box: str) -> bool:
    return box.startswith("n") and view.order[int(box[1:])]._fn is not None


def _edge_style(hot: bool) -> dict[str, str]:
    return {"color": HIGHLIGHT, "penwidth": "3"} if hot else {}


def _edges_into(
    dot: GraphDrawing, view: View, box: str, highlight_edges: Collection[tuple[Value, Value]]
) -> None:
    """Draw the edges from ``box``'s shown inputs into it (or into its op)."""
    if box in view.groups:
        counts: dict[str, int] = {}
        for node in view.groups[box][1]:
            for child in node._children:
                source = view.box_of[child]
                if source != box:
                    counts[source] = counts.get(source, 0) + 1
        for source, count in counts.items():
            if source in view.shown:
                width = f"{1 + math.log10(count):.2f}"
                dot.edge(source, box, penwidth=width, tooltip=f"{count:,} edges")
        return
    node = view.order[int(box[1:])]
    target = f"{box}op" if node._fn is not None else box
    for child in node._children:
        source = view.box_of[child]
        if source in view.shown:
            dot.edge(source, target, **_edge_style((node, child) in highlight_edges))


def draw_dot(
    root: Value,
    format: str = "svg",
    rankdir: str = "LR",
    *,
    params: Collection[Value] = (),
    color_grad: bool = False,
    collapse: Collapse = None,
    max_nodes: int = 500,
    max_depth: int | None = None,
    force: bool = False,
) -> GraphDrawing:
    """Draw the graph that computed ``root``; returns a :class:`GraphDrawing`
    (shows itself in Jupyter, ``.source`` is the DOT, ``.render(name,
    format='png')`` saves it).

    Nodes are styled by kind (output, parameters, inputs, constants, computed
    values, merged scopes; see :data:`KIND_COLORS`); ``params`` marks more
    nodes as parameters and ``color_grad=True`` shades each grad cell by
    the gradient's magnitude.

    Large graphs: ``collapse='neuron'|'layer'|depth`` merges nodes into one box
    per module scope, ``max_depth`` hides boxes further than that from the
    output. A graph of more than ``max_nodes`` nodes (default 500) is
    collapsed and, if still too big, cut to ``max_nodes`` boxes
    automatically -- a note on the drawing says so -- unless ``force=True``.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot: root must be a Value, got {type(root).__name__} {root!r}")
    if not isinstance(format, str) or not format:
        raise ValueError(f"draw_dot: format must be a name like 'svg' or 'png', got {format!r}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw_dot: rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    check_collapse(collapse, "draw_dot")
    limits = {"max_nodes": max_nodes, "max_depth": 1 if max_depth is None else max_depth}
    for name, limit in limits.items():
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise ValueError(f"draw_dot: {name} must be an integer >= 1, got {limit!r}")
    marked = set(params)
    for p in marked:
        if not isinstance(p, Value):
            raise TypeError(f"draw_dot: params must be Values, got {type(p).__name__} {p!r}")
    view = plan_view(root, collapse, max_nodes, max_depth, force)
    return render_view(
        root, view, format=format, rankdir=rankdir, params=marked, color_grad=color_grad
    )
