"""glassgrad demo's neuron picture: a live neuron, fresh gradients, inputs as inputs."""

import re

import pytest

import nn
from glassgrad.neuron_picture import draw_live_neuron
from viz import KIND_COLORS


def test_draws_a_live_neuron_with_one_backward_pass_and_restores_grads():
    model = nn.MLP(2, [4, 1], seed=0)
    first = model.layers[0].neurons[0]
    X = [[0.3, -0.7], [1.0, 0.5], [-0.2, 0.9]]
    # make neuron 0 dead on X[0] but live on X[1]
    first.w[0].data, first.w[1].data, first.b.data = 1.0, 1.0, 0.0
    for p in model.parameters():
        p.grad = 7.25  # stale gradients, as training leaves them
    drawing = draw_live_neuron(model, X)
    source = drawing.source
    assert "layers.0.neurons.0(x[1])" in source and "x[1][0]" in source
    assert KIND_COLORS["input"] in source and "const" not in source and "dead ReLU" not in source
    grads = re.findall(r">grad ([-\d.e]+)</td>", source)
    # d out / d w_k = x[1][k], d out / d b = 1: nothing stale
    assert "7.25" not in grads and set(grads) == {"1", "0.5"}  # x[1] = (1, 0.5), w = (1, 1)
    assert all(p.grad == 7.25 for p in model.parameters())
    assert drawing.alt_text.startswith("Computation graph of layers.0.neurons.0(x[1]) = 1.5")


def test_all_dead_is_a_clear_error():
    model = nn.MLP(2, [1, 1], seed=0)
    neuron = model.layers[0].neurons[0]
    neuron.w[0].data = neuron.w[1].data = neuron.b.data = 0.0
    with pytest.raises(ValueError, match="draw_live_neuron: every first-layer neuron is dead"):
        draw_live_neuron(model, [[1.0, 1.0]])
