"""The demo's picture of one neuron: a live one, with a consistent gradient state."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from engine import Value, topological_order
from viz import GraphDrawing, draw_dot

__all__ = ["draw_live_neuron"]


def draw_live_neuron(model: Any, X: Iterable[Iterable[float]]) -> GraphDrawing:
    """Draw the first neuron of ``model``'s first layer that is live (its
    ReLU passes a positive value) on some sample of ``X``, on the first such
    sample. The inputs are labelled ``x[i][k]`` leaves, and every gradient
    drawn is d(neuron output)/d(node) from one backward pass; the model's
    own ``.grad`` values are restored afterwards."""
    samples = [list(sample) for sample in X]
    for j, neuron in enumerate(model.layers[0].neurons):
        for i, sample in enumerate(samples):
            inputs = [Value(float(v), label=f"x[{i}][{k}]") for k, v in enumerate(sample)]
            out = neuron(inputs)
            if out.data > 0:
                out.label = f"layers.0.neurons.{j}(x[{i}])"
                return _drawn_with_fresh_grads(out)
    raise ValueError("draw_live_neuron: every first-layer neuron is dead on every sample")


def _drawn_with_fresh_grads(out: Value) -> GraphDrawing:
    nodes = topological_order(out)
    saved = [node.grad for node in nodes]
    try:
        for node in nodes:
            node.grad = 0.0
        out.backward()
        return draw_dot(out, color_grad=True)
    finally:
        for node, grad in zip(nodes, saved):
            node.grad = grad

