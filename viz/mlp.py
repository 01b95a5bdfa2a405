"""``draw_mlp``: a multilayer perceptron as neurons and weighted edges.

The model is read by duck typing, with micrograd's attribute names:
``model.layers[i].neurons[j].w`` (a list of weight ``Value``s), ``.b`` (the
bias) and ``.nonlin`` (whether the neuron applies its non-linearity).

Every neuron is a box holding its index, its kind and its bias; each layer
is a titled column. Edges are coloured by sign and both wider and more
opaque the larger ``|w|``, so the strong weights of a 16 x 16 layer stand
out of the faded rest. A layer wider than :data:`MAX_SHOWN` shows its first
and last neurons around one "more" box, and the canvas keeps to
:data:`viz.dot.CANVAS_INCHES`.
"""

from __future__ import annotations

from typing import Any

from viz.dot import CANVAS_INCHES, FONT, KIND_COLORS
from viz.drawing import GraphDrawing
from viz.labels import data_of, html_text, number

__all__ = ["draw_mlp"]

POSITIVE = "#2563eb"  # blue
NEGATIVE = "#ea580c"  # orange (reads apart from blue for colour-blind eyes too)
NEURON_COLORS = {"ReLU": KIND_COLORS["parameter"], "linear": KIND_COLORS["output"]}
MAX_SHOWN = 20
"""A layer (or the input) with more units than this shows the first
``MAX_SHOWN // 2`` and the last ``MAX_SHOWN // 2 - 1`` around a "more" box."""


def _layers(model: Any) -> list[list[Any]]:
    """The neurons of each layer, checked for the attributes drawing needs."""
    layers = getattr(model, "layers", None)
    if layers is None:
        raise TypeError(
            f"draw_mlp: expected a model with .layers (each with .neurons), "
            f"got {type(model).__name__}"
        )
    result = []
    for i, layer in enumerate(layers):
        neurons = list(getattr(layer, "neurons", None) or [])
        if not neurons:
            raise TypeError(f"draw_mlp: layers[{i}] has no .neurons")
        for j, neuron in enumerate(neurons):
            if not hasattr(neuron, "w") or not hasattr(neuron, "b"):
                raise TypeError(f"draw_mlp: layers[{i}].neurons[{j}] needs .w and .b")
        result.append(neurons)
    if not result:
        raise ValueError("draw_mlp: the model has no layers")
    return result


def shown_units(count: int) -> list[int]:
    """The unit indices drawn for a column of ``count`` units (-1: the "more" box)."""
    if count <= MAX_SHOWN:
        return list(range(count))
    head, tail = MAX_SHOWN // 2, MAX_SHOWN // 2 - 1
    return [*range(head), -1, *range(count - tail, count)]


def _edge_style(w: float, largest: float) -> dict[str, str]:
    """Colour by sign; width and opacity grow with ``|w| / largest``."""
    t = (abs(w) / largest) ** 2  # small weights fade faster: the strong ones stand out
    alpha = round(20 + 235 * t)
    return {"color": f"{POSITIVE if w >= 0 else NEGATIVE}{alpha:02x}",
            "penwidth": f"{0.3 + 2.7 * t:.2f}", "tooltip": f"w = {number(w)}"}


def _legend(largest: float) -> str:
    rows = ['<tr><td colspan="2"><b>key</b></td></tr>']
    for text, fill in (("input", KIND_COLORS["input"]),
                       ("ReLU neuron: index, bias b", NEURON_COLORS["ReLU"]),
                       ("linear neuron", NEURON_COLORS["linear"])):
        rows.append(f'<tr><td bgcolor="{fill}" border="1">  </td>'
                    f'<td align="left">{html_text(text)}</td></tr>')
    for text, colour in (("weight > 0", POSITIVE), ("weight < 0", NEGATIVE)):
        rows.append(f'<tr><td bgcolor="{colour}">  </td>'
                    f'<td align="left">{html_text(text)}</td></tr>')
    rows.append(f'<tr><td colspan="2" align="left">width and opacity grow with |w|;<br '
                f'align="left"/>largest |w| = {html_text(number(largest, 3))}<br '
                'align="left"/></td></tr>')
    return (f'<<table border="1" cellborder="0" cellspacing="2" cellpadding="3" '
            f'color="#9ca3af">{"".join(rows)}</table>>')


COLUMN_GAP = 2.6
"""Inches between two layers' columns."""
ROW_GAP = 0.5
"""Inches between two units of a column."""


def draw_mlp(model: Any, format: str = "svg", rankdir: str = "LR") -> GraphDrawing:
    """Draw ``model`` as inputs and neurons, one edge per weight: blue for
    positive and orange for negative weights, wider and more opaque the
    larger ``|w|``. Each neuron's box shows its index, ReLU or linear, and
    its bias; each column is titled with its layer; a key explains the
    colours. ``rankdir`` is ``'LR'`` (layers left to right) or ``'TB'`` (top
    to bottom). Wide layers are elided (see :data:`MAX_SHOWN`) and the canvas
    is at most :data:`viz.dot.CANVAS_INCHES`."""
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"draw_mlp: rankdir must be 'LR' or 'TB', got {rankdir!r}")
    layers = _layers(model)
    fan_in = len(layers[0][0].w)
    weights = [[[data_of(w, f"draw_mlp: layers[{i}] weight") for w in n.w] for n in layer]
               for i, layer in enumerate(layers)]
    for i, layer in enumerate(weights):
        expected = fan_in if i == 0 else len(layers[i - 1])
        for j, ws in enumerate(layer):
            if len(ws) != expected:
                raise ValueError(f"draw_mlp: layers[{i}].neurons[{j}] has {len(ws)} weights "
                                 f"but the layer before has {expected} outputs")
    largest = max((abs(w) for layer in weights for ws in layer for w in ws), default=0.0) or 1.0
    dot = GraphDrawing(format=format)
    width, height = CANVAS_INCHES
    # positions are computed here, not by a layout: units stay in index order
    dot.attr(layout="neato", splines="line", outputorder="edgesfirst", bgcolor="white",
             fontname=FONT, size=f"{width:g},{height:g}")
    dot.attr("node", fontname=FONT, fontsize="11", shape="box", style="rounded,filled",
             margin="0.06,0.02", height="0.34", width="0.9")
    dot.attr("edge", arrowhead="none")
    place = _placer(rankdir, max(len(shown_units(n)) for n in [fan_in, *map(len, layers)]))
    previous = _column(dot, place, 0, f"inputs ({fan_in})", "x", fan_in,
                       lambda k: (f"x{k}", KIND_COLORS["input"]))
    for i, layer in enumerate(layers):
        def neuron_box(j: int, i: int = i, layer: list[Any] = layer) -> tuple[str, str]:
            kind = "ReLU" if getattr(layer[j], "nonlin", True) else "linear"
            bias = number(data_of(layer[j].b, f"draw_mlp: layers[{i}].neurons[{j}].b"), 3)
            return (f"<b>{j}</b> {kind}<br/><font point-size='9'>b {html_text(bias)}</font>",
                    NEURON_COLORS[kind])

        names = _column(dot, place, i + 1, f"layers.{i} ({len(layer)})", f"L{i}n", len(layer),
                        neuron_box)
        for j, target in names.items():
            for k, source in previous.items():
                dot.edge(source, target, **_edge_style(weights[i][j][k], largest))
        previous = names
    dot.node("legend", _legend(largest), shape="plain", style="",
             pos=place(len(layers) + 0.75, 0))
    sizes = [fan_in, *(len(layer) for layer in layers)]
    if max(sizes) > MAX_SHOWN:
        dot.attr(label=f"Columns of more than {MAX_SHOWN} units show the first "
                 f"{MAX_SHOWN // 2} and the last {MAX_SHOWN // 2 - 1}; the others' edges "
                 "are not drawn.", labelloc="b", fontsize="12")
    parameters = sum(len(ws) + 1 for layer in weights for ws in layer)
    dot.alt_text = (f"MLP {' → '.join(map(str, sizes))}: {parameters:,} parameters; blue edges "
                    "are positive weights, orange negative, wider and darker when larger")
    return dot


def _placer(rankdir: str, rows: int) -> Any:
    """``place(column, row)``: a pinned Graphviz position (inches); rows count
    down from the middle of the tallest column (``rows`` units), and row
    ``None`` is the titles' row above it."""

    def place(column: float, row: float | None) -> str:
        if row is None:
            row = -(rows - 1) / 2 - 1.0
        along, across = column * COLUMN_GAP, -row * ROW_GAP
        x, y = (along, across) if rankdir == "LR" else (-across, -along)
        return f"{x:.2f},{y:.2f}!"

    return place


def _column(dot: GraphDrawing, place: Any, index: int, title: str, prefix: str, count: int,
            box: Any) -> dict[int, str]:
    """Draw one titled column of units; return the drawn units' node names by index."""
    names: dict[int, str] = {}
    units = shown_units(count)
    top = -(len(units) - 1) / 2  # columns are centred on row 0
    dot.node(f"{prefix}title", f"<<b>{html_text(title)}</b>>", shape="plain", style="",
             pos=place(index, None))
    for row, j in enumerate(units):
        if j < 0:
            hidden = count - MAX_SHOWN + 1
            dot.node(f"{prefix}more", f"{hidden:,} more", style="dashed,rounded",
                     fillcolor="white", fontcolor="#4b5563", pos=place(index, top + row))
            continue
        label, fill = box(j)
        names[j] = f"{prefix}{j}"
        dot.node(names[j], f"<{label}>", fillcolor=fill, pos=place(index, top + row))
    return names
