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
from viz.layout import Collapse, Group, View, check_collapse, plan_view

__all__ = ["CANVAS_INCHES", "KIND_COLORS", "draw_dot", "grad_color", "node_kind"]

KIND_COLORS = {
    "output": "#fcd34d",
    "parameter": "#93c5fd",
    "input": "#86efac",
    "constant": "#e5e7eb",
    "computed": "#ffffff",
    "scope": "#ddd6fe",
}
"""Fill colour of the label cell for each kind of node (and of merged boxes)."""

KIND_NAMES = {
    "output": "output",
    "parameter": "parameter",
    "input": "input",
    "constant": "constant",
    "computed": "computed",
    "scope": "merged nodes",
}

NEGATIVE_GRAD = (33, 102, 172)  # blue
POSITIVE_GRAD = (230, 97, 1)  # orange: blue/orange reads apart for colour-blind eyes too
HIGHLIGHT = "#dc2626"
FONT = "Helvetica"
RANKDIRS = ("auto", "LR", "RL", "TB", "BT")
DEEP_FROM = 12
"""``rankdir='auto'`` draws left to right, or top to bottom once the longest
path has this many ranks (a deep graph read left to right would not fit)."""
CANVAS_INCHES = (16.0, 10.0)
"""The canvas budget: every drawing fits in 16 x 10 inches -- at most
1,536 x 960 px as PNG (96 dpi) and 1,152 x 720 pt as SVG; larger layouts are
scaled down to fit (Graphviz ``size``)."""
MAX_EDGES_INTO_BOX = 8
"""At most this many edges are drawn into one box; the rest are counted in a note."""
MAX_EDGES = 400
"""At most about this many edges in one drawing: with many boxes, each box
gets fewer edges (at least one), so a raised ``max_nodes`` still lays out
in seconds."""
QUICK_LAYOUT_FROM = 150
"""Drawings with more boxes or edges than this get Graphviz's quick-layout
limits (``mclimit``, ``nslimit``) and straight edges (routing hundreds of
spline edges takes seconds)."""


def node_kind(node: Value, output: Value, params: Collection[Value] = ()) -> str:
    """'output', 'parameter', 'input', 'constant' or 'computed'.

    Parameters are leaves made inside a module's scope (every ``nn`` module
    makes its parameters in one, see :func:`engine.name_scope`) or nodes
    listed in ``params``; inputs are the other leaves.
    """
    if node is output:
        return "output"
    if node in params:
        return "parameter"
    if type(node) is Constant:
        return "constant"
    if not node.is_leaf:
        return "computed"
    return "parameter" if node.scope else "input"


def grad_color(grad: float, largest: float) -> str:
    """The signed gradient scale: blue for negative, white for 0, orange for
    positive, by the square output of ``|grad| / largest``."""
    t = math.sqrt(min(abs(grad) / largest, 1.0)) if largest > 0 else 0.0
    far = POSITIVE_GRAD if grad > 0 else NEGATIVE_GRAD
    r, g, b = (round(255 + (hi - 255) * t) for hi in far)
    return f"#{r:02x}{g:02x}{b:02x}"


def _record(
    node: Value,
    kind: str,
    grad: float,
    grad_fill: str | None,
    border: str | None,
    name: str | None = None,
    steady: bool = False,
) -> str:
    """The HTML-like ``label | data | grad`` table for one node. ``steady``
    keeps its size the same whatever the gradient and highlight (frames of
    one animation then share one layout)."""
    label = name or node.label or {"constant": "const", "input": "input"}.get(kind, "")
    line = ' color="black"' if steady else ""
    cells = [f'<td{line} bgcolor="{KIND_COLORS[kind]}"><b>{html_text(label) or " "}</b></td>']
    cells.append(f"<td{line}>data {html_text(number(node.data))}</td>")
    fill = f' bgcolor="{grad_fill}"' if grad_fill else ""
    size = f'{line} width="120" height="24" fixedsize="true"' if steady else ""
    grad_text = "—" if kind == "constant" else number(grad)
    cells.append(f"<td{fill}{size}>grad {html_text(grad_text)}</td>")
    if steady:
        frame = f' color="{border or "white"}" border="3"'
    else:
        frame = f' color="{border}" border="3"' if border else ' border="0"'
    return (
        f'<<table{frame} cellborder="1" cellspacing="0" cellpadding="4">'
        f"<tr>{''.join(cells)}</tr></table>>"
    )


def _group_record(
    group: Group, output: Value, grad: float, grad_fill: str | None, border: str | None
) -> str:
    """A merged box: its title, what it holds, and its output's numbers."""
    members = group.members
    params = sum(1 for m in members if m.is_leaf and type(m) is not Constant)
    held = f"{len(members):,} nodes"
    if params:
        held += f" · {params:,} parameter{'s' if params != 1 else ''}"
    out = group.output
    fill = KIND_COLORS["output"] if out is output else KIND_COLORS["scope"]
    rows = [f'<tr><td colspan="3" bgcolor="{fill}"><b>{html_text(group.title)}</b></td></tr>',
            f'<tr><td colspan="3">{html_text(held)}</td></tr>']
    if group.kind != "parameters":
        made_by = f"out ({out.op.symbol})" if out.op is not None else "out"
        cell = f' bgcolor="{grad_fill}"' if grad_fill else ""
        rows.append(
            f"<tr><td>{html_text(made_by)}</td><td>data {html_text(number(out.data))}</td>"
            f"<td{cell}>grad {html_text(number(grad))}</td></tr>"
        )
        if out.op is not None and out.op.name == "relu" and out.data == 0.0:
            rows.append('<tr><td colspan="3" bgcolor="#fee2e2"><b>dead ReLU</b>: '
                        "output 0, no gradient flows back</td></tr>")
    frame = f'color="{border}" border="3"' if border else 'border="1"'
    return (f'<<table {frame} cellborder="0" cellspacing="0" cellpadding="4" '
            f'style="rounded">{"".join(rows)}</table>>')


def _legend(
    kinds: Collection[str], largest: float | None, borders: Mapping[str, str] | None = None
) -> str:
    """A key to the colours used: node kinds, highlight ``borders`` (colour ->
    meaning) and, if shown, the gradient scale."""
    rows = ['<tr><td colspan="5"><b>key</b></td></tr>']
    for kind in KIND_COLORS:
        if kind in kinds:
            rows.append(f'<tr><td bgcolor="{KIND_COLORS[kind]}" border="1"> </td>'
                        f'<td colspan="4" align="left">{KIND_NAMES[kind]}</td></tr>')
    for colour, meaning in (borders or {}).items():
        rows.append(f'<tr><td color="{colour}" border="3"> </td>'
                    f'<td colspan="4" align="left">{html_text(meaning)}</td></tr>')
    if largest is not None:
        steps = [-1.0, -0.25, 0.0, 0.25, 1.0]
        swatches = "".join(f'<td bgcolor="{grad_color(t * largest, largest)}" border="1">'
                           f"{html_text(number(t * largest, 2))}</td>" for t in steps)
        rows.append('<tr><td colspan="5">grad colour (blue −, orange +)</td></tr>')
        rows.append(f"<tr>{swatches}</tr>")
    return (f'<<table border="1" cellborder="0" cellspacing="2" cellpadding="3" '
            f'color="#9ca3af">{"".join(rows)}</table>>')


def render_view(
    output: Value,
    view: View,
    *,
    format: str = "svg",
    rankdir: str = "auto",
    params: Collection[Value] = (),
    color_grad: bool = False,
    legend: bool = True,
    grads: Mapping[Value, float] | None = None,
    highlight: Mapping[Value, str] | None = None,
    highlight_edges: Collection[tuple[Value, Value]] = (),
    caption: str | None = None,
    names: Mapping[Value, str] | None = None,
    highlight_meaning: Mapping[str, str] | None = None,
) -> GraphDrawing:
    """Emit the DOT for a planned :class:`View` (used by ``draw_dot`` and the
    backprop frames). ``grads`` overrides the nodes' ``.grad`` values;
    ``names`` labels each record (and makes records a fixed size, so that
    frames of one animation share a layout); ``highlight_meaning`` explains
    each highlight colour in the key."""
    dot = GraphDrawing(format=format)
    if rankdir == "auto":
        rankdir = "TB" if _ranks(view) >= DEEP_FROM else "LR"
    width, height = CANVAS_INCHES
    # ordering="out": a box's outputs keep their reading order (call 1 above call 2)
    dot.attr(rankdir=rankdir, fontname=FONT, labelloc="t", labeljust="l", bgcolor="white",
             size=f"{width:g},{height:g}", ordering="out")
    dot.attr("node", fontname=FONT, fontsize="12", shape="plain")
    dot.attr("edge", color="#6b7280", arrowsize="0.7")
    highlight = highlight or {}
    grad_of = (lambda n: grads.get(n, 0.0)) if grads is not None else (lambda n: n.grad)
    shown = sorted(view.shown, key=_box_order)
    outputs = [view.groups[b].output if b in view.groups else view.order[int(b[1:])]
               for b in shown]
    largest = max((abs(grad_of(n)) for n in outputs), default=0.0) if color_grad else 0.0
    kinds: set[str] = set()
    for box, node in zip(shown, outputs):
        g = grad_of(node)
        if box in view.groups:
            group = view.groups[box]
            kinds.add("output" if node is output else "scope")
            fill = grad_color(g, largest) if color_grad else None
            border = next((highlight[m] for m in group.members if m in highlight), None)
            dot.node(box, _group_record(group, output, g, fill, border))
            continue
        kind = node_kind(node, output, params)
        kinds.add(kind)
        fill = grad_color(g, largest) if color_grad and kind != "constant" else None
        name = names.get(node) if names is not None else None
        dot.node(box, _record(node, kind, g, fill, highlight.get(node), name, names is not None))
        if node.op is not None:
            dot.node(f"{box}op", f"<{html_text(node.op.symbol)}>", shape="ellipse",
                     style="filled", fillcolor="#f3f4f6", fontsize="16", margin="0.03",
                     height="0.36")
            dot.edge(f"{box}op", box, **_edge_style((node, node) in highlight_edges))
    connected: set[str] = set()
    per_box = max(1, min(MAX_EDGES_INTO_BOX, MAX_EDGES // max(1, len(shown))))
    skipped = sum(_edges_into(dot, view, box, highlight_edges, connected, per_box)
                  for box in shown)
    if view.frontier:
        dot.node("hidden", f"<{html_text(f'… {view.hidden_count:,} hidden nodes')}>",
                 shape="box", style="dashed,rounded", fontcolor="#4b5563", color="#9ca3af")
        for box in sorted(view.frontier, key=_box_order):
            target = f"{box}op" if _has_op(view, box) else box
            dot.edge("hidden", target, style="dashed", color="#9ca3af")
    if legend and (kinds - {"computed"} or color_grad or highlight_meaning):
        dot.node("legend", _legend(kinds, largest if color_grad else None, highlight_meaning))
    edges = sum(1 for line in dot.body if " -> " in line)
    if view.box_count > QUICK_LAYOUT_FROM or edges > QUICK_LAYOUT_FROM:
        dot.attr(mclimit="0.1", nslimit="1", nslimit1="1", splines="line")
    notes = [*view.notes]
    if skipped:
        notes.append(f"{skipped:,} edges not drawn (at most {per_box} into a box)")
    notes += [caption] if caption else []
    if notes:
        left = '<br align="left"/>'
        dot.attr(label=f"<{left.join(html_text(n) for n in notes)}{left}>", fontsize="14")
    name = (names or {}).get(output) or output.label or "the output"
    dot.alt_text = "; ".join([
        f"Computation graph of {name} = {number(output.data)} (grad {number(grad_of(output))}), "
        f"{view.box_count:,} boxes drawn", *notes])
    return dot


def _ranks(view: View) -> int:
    """How many ranks the longest path of shown boxes takes (ops count as one)."""
    ranks: dict[str, int] = {}
    for box in sorted(view.shown, key=_box_order):
        own = 2 if _has_op(view, box) else 1
        ranks[box] = own + max((ranks.get(c, 0) for c in view.child_boxes[box]), default=0)
    return max(ranks.values(), default=0)


def _box_order(box: str) -> tuple[str, int]:
    return box[0], int(box[1:])


def _has_op(view: View, box: str) -> bool:
    return box.startswith("n") and view.order[int(box[1:])].op is not None


def _edge_style(hot: bool) -> dict[str, str]:
    return {"color": HIGHLIGHT, "penwidth": "3"} if hot else {}


def _edges_into(
    dot: GraphDrawing, view: View, box: str, highlight_edges: Collection[tuple[Value, Value]],
    connected: set[str], per_box: int,
) -> int:
    """Draw at most ``per_box`` edges from ``box``'s shown child boxes into it
    (or into its op); return how many were left out. Child boxes with
    no edge drawn yet (not in ``connected``, which this updates) go first,
    so that no shown box is left floating."""
    if box in view.groups:
        counts: dict[str, int] = {}
        for node in view.groups[box].members:
            for child in node.children:
                source = view.box_of.get(child)
                if source != box and source in view.shown:
                    counts[source] = counts.get(source, 0) + 1
        chosen = sorted(counts, key=lambda source: source in connected)[:per_box]
        for source in chosen:
            width = f"{1 + math.log10(counts[source]):.2f}"
            dot.edge(source, box, penwidth=width, tooltip=f"{counts[source]:,} edges")
        connected.update(chosen)
        return max(0, len(counts) - per_box)
    node = view.order[int(box[1:])]
    target = f"{box}op" if node.op is not None else box
    boxes = [(view.box_of.get(c), c) for c in node.children]
    sources = [(source, c) for source, c in boxes if source in view.shown]
    sources.sort(key=lambda pair: pair[0] in connected)
    for source, child in sources[:per_box]:
        dot.edge(source, target, **_edge_style((node, child) in highlight_edges))
        connected.add(source)
    return max(0, len(sources) - per_box)


MAX_BOXES = 300
"""The largest ``max_nodes`` accepted: more boxes than this do not lay out
within seconds or read on one canvas (``force=True`` is the explicit escape)."""


def draw_dot(
    output: Value,
    format: str = "svg",
    rankdir: str = "auto",
    *,
    params: Collection[Value] = (),
    color_grad: bool = False,
    collapse: Collapse = None,
    max_nodes: int = 40,
    max_depth: int | None = None,
    force: bool = False,
    legend: bool = True,
) -> GraphDrawing:
    """Draw the graph that computed ``output``; returns a :class:`GraphDrawing`
    (shows itself in Jupyter, ``.source`` is the DOT, ``.render(name,
    format='png')`` saves it).

    Nodes are styled by kind (output, parameters, inputs, constants, computed
    values, merged boxes; see :data:`KIND_COLORS`), with a key to the colours
    (``legend=False`` leaves it out). Leaves made by ``nn`` modules are
    parameters; ``params`` marks more. ``color_grad=True`` shades each grad
    cell on a signed scale (blue negative, orange positive; see
    :func:`grad_color`).

    Budget: a graph of more than ``max_nodes`` nodes (default 40, at most
    :data:`MAX_BOXES`) is merged -- one box per call of each module scope,
    one box per long ``+``/``*`` chain -- and, if still over, cut to
    ``max_nodes`` boxes; notes on the drawing say what is shown. At most
    :data:`MAX_EDGES_INTO_BOX` edges enter a box (fewer when there are many
    boxes, see :data:`MAX_EDGES`), and the canvas is at most
    :data:`CANVAS_INCHES` (1,536 x 960 px as PNG), so any graph draws in
    seconds. ``rankdir='auto'`` draws left to right, or top to bottom for
    deep graphs (see :data:`DEEP_FROM`). ``collapse='neuron'|'layer'|depth``
    merges by scope even for small graphs, ``max_depth`` hides boxes further than that from the
    output, ``force=True`` draws every node (slow for big graphs).
    """
    if not isinstance(output, Value):
        raise TypeError(f"draw_dot: output must be a Value, got {type(output).__name__} {output!r}")
    if not isinstance(format, str) or not format:
        raise ValueError(f"draw_dot: format must be a name like 'svg' or 'png', got {format!r}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw_dot: rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    check_collapse(collapse, "draw_dot")
    limits = {"max_nodes": max_nodes, "max_depth": 1 if max_depth is None else max_depth}
    for name, limit in limits.items():
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise ValueError(f"draw_dot: {name} must be an integer >= 1, got {limit!r}")
    if max_nodes > MAX_BOXES and not force:
        raise ValueError(
            f"draw_dot: max_nodes={max_nodes:,} is over {MAX_BOXES} boxes, which neither lays "
            "out in seconds nor reads on one canvas; use collapse=/max_depth= to choose "
            "what to see, or force=True to draw every node anyway"
        )
    marked = set(params)
    for p in marked:
        if not isinstance(p, Value):
            raise TypeError(f"draw_dot: params must be Values, got {type(p).__name__} {p!r}")
    view = plan_view(output, collapse, max_nodes, max_depth, force)
    return render_view(output, view, format=format, rankdir=rankdir, params=marked,
                       color_grad=color_grad, legend=legend)
