"""draw_mlp: neurons and weighted edges, read by duck typing."""

import re
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import pytest

import nn
from engine import Value
from viz import draw_mlp
from viz.mlp import MAX_SHOWN, NEGATIVE, POSITIVE


def _model(weights_per_layer, nonlin_last=False):
    layers = []
    for i, rows in enumerate(weights_per_layer):
        last = i == len(weights_per_layer) - 1
        neurons = [SimpleNamespace(w=[Value(w) for w in row], b=Value(0.1),
                                   nonlin=nonlin_last or not last) for row in rows]
        layers.append(SimpleNamespace(neurons=neurons))
    return SimpleNamespace(layers=layers)


def _positions(source):
    """Node name -> (x, y) of its pinned position."""
    found = re.findall(r'^\s*(\w+) \[.*pos="([-\d.]+),([-\d.]+)!"', source, re.M)
    return {name: (float(x), float(y)) for name, x, y in found}


def test_edges_are_weights_width_and_opacity_by_size_colour_by_sign():
    model = _model([[[1.0, -2.0], [0.5, 0.0]], [[-4.0, 2.0]]])
    drawing = draw_mlp(model)
    edges = re.findall(r"(\w+) -> (\w+) \[(.*)\]", drawing.source)
    assert len(edges) == 6
    width = {(s, t): float(re.search(r"penwidth=\"?([\d.]+)", attrs)[1]) for s, t, attrs in edges}
    colour = {(s, t): re.search(r'color="(#\w+)"', attrs)[1] for s, t, attrs in edges}
    assert width[("L0n1", "L1n0")] > width[("x0", "L0n0")] > width[("x1", "L0n1")]
    assert colour[("L0n0", "L1n0")] == NEGATIVE + "ff" and colour[("x0", "L0n0")][:7] == POSITIVE
    # opacity (the last two hex digits) grows with |w|
    assert int(colour[("x1", "L0n0")][7:], 16) > int(colour[("x0", "L0n0")][7:], 16)
    assert "ReLU" in drawing.source and "linear" in drawing.source
    assert drawing.pipe("png").startswith(b"\x89PNG")


def test_labels_inside_boxes_with_indices_in_order_and_a_key():
    model = nn.MLP(2, [16, 16, 1])
    drawing = draw_mlp(model)
    source = drawing.source
    assert "legend" in source and "weight &gt; 0" in source and "largest |w|" in source
    pos = _positions(source)
    for i in range(2):
        ys = [pos[f"L{i}n{j}"][1] for j in range(16)]
        assert ys == sorted(ys, reverse=True)  # index 0 on top, in order
        assert len({pos[f"L{i}n{j}"][0] for j in range(16)}) == 1  # one column
    assert pos["L0n0"][0] < pos["L1n0"][0] < pos["L2n0"][0]
    # each neuron's index, kind and bias are its box's own label (drawn inside it)
    assert re.search(r"L1n7 \[label=<<b>7</b> ReLU<br/><font point-size='9'>b 0</font>>", source)
    svg = ET.fromstring(drawing.pipe("svg"))
    assert float(svg.get("width").rstrip("pt")) <= 16 * 72 + 1
    assert "MLP 2 → 16 → 16 → 1: 337 parameters" in drawing.alt_text


def test_wide_layers_are_elided_and_fit_the_canvas():
    model = nn.MLP(240, [240, 1])  # 57,840 weights
    drawing = draw_mlp(model)
    source = drawing.source
    assert len(re.findall(r"->", source)) == (MAX_SHOWN - 1) ** 2 + (MAX_SHOWN - 1)
    assert "221 more" in source and "L0n239" in source and "L0n10 " not in source
    png = drawing.pipe("png")
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width <= 1536 and height <= 960


def test_not_a_model_is_refused_clearly():
    with pytest.raises(TypeError, match=r"draw_mlp: expected a model with \.layers"):
        draw_mlp(object())
    bad = _model([[[1.0, 2.0]], [[1.0, 2.0]]])  # second layer expects 2 inputs, gets 1
    with pytest.raises(ValueError, match="has 2 weights"):
        draw_mlp(bad)
    with pytest.raises(ValueError, match="rankdir"):
        draw_mlp(_model([[[1.0]]]), rankdir="RL")
