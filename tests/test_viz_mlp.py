"""draw_mlp: neurons and weighted edges, read by duck typing."""

import re
from types import SimpleNamespace

import pytest

from engine import Value
from viz import draw_mlp
from viz.mlp import NEGATIVE, POSITIVE


def _model(weights_per_layer, nonlin_last=False):
    layers = []
    for i, rows in enumerate(weights_per_layer):
        last = i == len(weights_per_layer) - 1
        neurons = [SimpleNamespace(w=[Value(w) for w in row], b=Value(0.1),
                                   nonlin=nonlin_last or not last) for row in rows]
        layers.append(SimpleNamespace(neurons=neurons))
    return SimpleNamespace(layers=layers)


def test_edges_are_weights_width_by_size_colour_by_sign():
    model = _model([[[1.0, -2.0], [0.5, 0.0]], [[-4.0, 2.0]]])
    drawing = draw_mlp(model)
    edges = re.findall(r"(\w+) -> (\w+) \[(.*)\]", drawing.source)
    assert len(edges) == 6
    width = {(s, t): float(re.search(r"penwidth=\"?([\d.]+)", attrs)[1]) for s, t, attrs in edges}
    colour = {(s, t): re.search(r'color="(#\w+)"', attrs)[1] for s, t, attrs in edges}
    assert width[("L0n1", "L1n0")] > width[("x0", "L0n0")] > width[("x1", "L0n1")]
    assert colour[("L0n0", "L1n0")] == NEGATIVE and colour[("x0", "L0n0")] == POSITIVE
    assert "ReLU" in drawing.source and "linear" in drawing.source
    assert drawing.pipe("png").startswith(b"\x89PNG")


def test_not_a_model_is_refused_clearly():
    with pytest.raises(TypeError, match=r"draw_mlp: expected a model with \.layers"):
        draw_mlp(object())
    bad = _model([[[1.0, 2.0]], [[1.0, 2.0]]])  # second layer expects 2 inputs, gets 1
    with pytest.raises(ValueError, match="has 2 weights"):
        draw_mlp(bad)
