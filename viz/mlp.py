"""``draw_mlp``: a multilayer perceptron as neurons and weighted edges.

The model is read by duck typing, with micrograd's attribute names:
``model.layers[i].neurons[j].w`` (a list of weight ``Value``s), ``.b`` (the
bias) and ``.nonlin`` (whether the neuron applies its non-linearity).
"""

from __future__ import annotations

from typing import Any

from engine import Value
from viz.drawing import GraphDrawing
from viz.labels import html_text, number

__all__ = ["draw_mlp"]

POSITIVE = "#2563eb"  # blue
NEGATIVE = "#ea580c"  # orange (reads apart from blue for colour-blind eyes too)
MAX_EDGES = 20_000


def _data(x: Any, where: str) -> float:
    if isinstance(x, Value):
        return x.data
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return float(x)
    raise TypeError(f"draw_mlp: {where} must be a Value or a number, got {type(x).__name__}")


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


def draw_mlp(model: Any, format: str = "svg", rankdir: str = "LR") -> GraphDrawing:
    """Draw ``model`` as inputs and neurons, one edge per weight: width
    grows with ``|w|``, blue for positive and orange for negative weights.
    Each neuron shows its bias and whether it is ReLU or linear."""
    layers = _layers(model)
    fan_in = len(layers[0][0].w)
    weights = [[[_data(w, f"layers[{i}] weight") for w in n.w] for n in layer]
               for i, layer in enumerate(layers)]
    edges = sum(len(ws) for layer in weights for ws in layer)
    if edges > MAX_EDGES:
        raise ValueError(f"draw_mlp: {edges:,} weights is more than {MAX_EDGES:,} edges can show")
    largest = max((abs(w) for layer in weights for ws in layer for w in ws), default=0.0) or 1.0
    dot = GraphDrawing(format=format)
    dot.attr(rankdir=rankdir, nodesep="0.08", ranksep="1.6", bgcolor="white", fontname="Helvetica")
    dot.attr("node", fontname="Helvetica", fontsize="10", shape="circle", style="filled",
             width="0.45", fixedsize="true")
    for k in range(fan_in):
        dot.node(f"x{k}", f"x{k}", fillcolor="#86efac")
    previous = [f"x{k}" for k in range(fan_in)]
    for i, layer in enumerate(layers):
        names = []
        for j, neuron in enumerate(layer):
            name = f"L{i}n{j}"
            names.append(name)
            relu = bool(getattr(neuron, "nonlin", True))
            bias = number(_data(neuron.b, f"layers[{i}].neurons[{j}].b"), 3)
            kind = "ReLU" if relu else "linear"
            dot.node(
                name,
                f"<{html_text(kind)}<br/><font point-size='8'>b {html_text(bias)}</font>>",
                fillcolor="#93c5fd" if relu else "#fcd34d",
                tooltip=f"layers.{i}.neurons.{j}: {kind}, bias {bias}",
            )
            ws = weights[i][j]
            if len(ws) != len(previous):
                raise ValueError(
                    f"draw_mlp: layers[{i}].neurons[{j}] has {len(ws)} weights "
                    f"but the layer before has {len(previous)} outputs"
                )
            for source, w in zip(previous, ws):
                dot.edge(
                    source,
                    name,
                    color=POSITIVE if w >= 0 else NEGATIVE,
                    penwidth=f"{0.3 + 3.7 * abs(w) / largest:.2f}",
                    arrowhead="none",
                    tooltip=f"w = {number(w)}",
                )
        previous = names
    return dot
