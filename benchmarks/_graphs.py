"""Identical scalar graphs for any micrograd-style ``Value`` class.

The benchmarks compare engines on the very same graphs: an ``MLP(2, [16, 16, 1])``
shaped network (weights uniform(-1, 1), zero biases, ReLU hidden layers, linear
output) built from plain ``Value`` nodes, and micrograd's demo hinge loss. Only
what both engines share is used: ``+ - * **``, ``relu()``, ``_prev``, ``grad``.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from typing import Any

Weights = list[list[tuple[list[float], float]]]
"""Per layer, per neuron: (input weights, bias) as plain floats."""

Model = list[list[tuple[list[Any], Any]]]
"""The same shape holding ``Value`` nodes of one engine."""


def random_weights(sizes: Sequence[int], seed: int = 1337) -> Weights:
    """Weights uniform(-1, 1) and zero biases for layer sizes like ``[2, 16, 16, 1]``."""
    rng = random.Random(seed)
    return [
        [([rng.uniform(-1.0, 1.0) for _ in range(n_in)], 0.0) for _ in range(n_out)]
        for n_in, n_out in itertools.pairwise(sizes)
    ]


def make_model(value: type, weights: Weights) -> Model:
    """The weights as leaves of ``value`` (an engine's ``Value`` class)."""
    return [[([value(w) for w in ws], value(b)) for ws, b in layer] for layer in weights]


def parameters(model: Model) -> list[Any]:
    """Every weight and bias node of ``model``."""
    return [p for layer in model for ws, b in layer for p in [*ws, b]]


def score(model: Model, x: Sequence[float]) -> Any:
    """Forward pass: neuron = sum(w * x, b); ReLU on hidden layers, linear output."""
    activations: list[Any] = list(x)
    last = len(model) - 1
    for depth, layer in enumerate(model):
        outputs = []
        for ws, b in layer:
            act = sum((w * a for w, a in zip(ws, activations)), b)
            outputs.append(act if depth == last else act.relu())
        activations = outputs
    return activations[0]


def hinge(model: Model, x: Sequence[float], y: float) -> Any:
    """micrograd's demo loss for one sample: relu(1 - y * score)."""
    return (1 + -y * score(model, x)).relu()


def batch_loss(model: Model, xs: Sequence[Sequence[float]], ys: Sequence[float]) -> Any:
    """The demo's loss: mean hinge loss plus 1e-4 times the sum of squared parameters."""
    losses = [hinge(model, x, y) for x, y in zip(xs, ys)]
    data_loss = sum(losses) * (1.0 / len(losses))
    return data_loss + 1e-4 * sum(p * p for p in parameters(model))


def count_nodes(output: Any) -> int:
    """Nodes ``output`` depends on (itself included), found through ``_prev``."""
    seen = {id(output)}
    stack = [output]
    while stack:
        for child in stack.pop()._prev:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)


def moons_like(n: int, seed: int = 1337) -> tuple[list[list[float]], list[float]]:
    """``n`` two-dimensional points with labels ±1 (two noisy half circles)."""
    import math

    rng = random.Random(seed)
    xs, ys = [], []
    for i in range(n):
        t = math.pi * rng.random()
        if i % 2:
            xs.append([math.cos(t) + rng.gauss(0, 0.1), math.sin(t) + rng.gauss(0, 0.1)])
            ys.append(1.0)
        else:
            xs.append([1 - math.cos(t) + rng.gauss(0, 0.1), 0.5 - math.sin(t) + rng.gauss(0, 0.1)])
            ys.append(-1.0)
    return xs, ys


def random_dag(value: type, n: int, seed: int = 0) -> Any:
    """A random graph of ``n`` nodes without scopes: 8 leaves, then each node
    ``+`` or ``*`` of the node before it and a random earlier one (``+`` only
    while the sum stays within ±1, so values stay finite). Returns the last
    node; all ``n`` are reachable from it."""
    rng = random.Random(seed)
    nodes = [value(rng.uniform(-1, 1)) for _ in range(8)]
    while len(nodes) < n:
        a, b = nodes[-1], rng.choice(nodes)
        summed = rng.random() < 0.5 and abs(a.data + b.data) <= 1.0
        nodes.append(a + b if summed else a * b)
    return nodes[-1]
