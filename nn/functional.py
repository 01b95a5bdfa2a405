"""Functions of a list of scalars that models share: ``softmax``,
``log_softmax`` and the perceptron's ``step`` activation.

``softmax`` and ``log_softmax`` are stable: they shift the scores by their
maximum first, computed with the ``engine.ops.maximum`` op (not read from
``.data``), so a compiled program replays the shift for every input.

>>> probs = softmax([1.0, 2.0, 3.0])
>>> [round(p, 4) for p in probs]
[0.09, 0.2447, 0.6652]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine import Domain, Op, Value, define_op, ops

__all__ = ["log_softmax", "max_of", "softmax", "step"]

Scalar = Value | float


def _heaviside(x: float) -> float:
    return 1.0 if x > 0 else 0.0


def _heaviside_arrays(x: Any) -> Any:
    return (x > 0) * 1.0


step: Op = define_op(
    "step", _heaviside, [0.0], "step", domains=[Domain(avoid=(0.0,))],
    array_forward=_heaviside_arrays,
    doc="the threshold unit: 1 if x > 0 else 0; its derivative is taken as 0 everywhere "
        "(0 at the jump too), so no gradient flows through it",
)
"""The perceptron's threshold activation, ``1 if x > 0 else 0``.

Derivative convention: 0 everywhere, the jump at 0 included (the true
derivative is 0 away from 0 and undefined at it). Gradient descent therefore
cannot train through a step; the perceptron learning rule does not need it.
Use it as an activation by name: ``nn.Neuron(2, activation="step")``.
"""


def _scores(xs: Sequence[Scalar], where: str) -> list[Scalar]:
    items = list(xs)
    if not items:
        raise ValueError(f"{where}: needs at least one score, got none")
    return items


def max_of(xs: Sequence[Scalar]) -> Scalar:
    """The largest of ``xs`` as a balanced tree of ``engine.ops.maximum`` nodes,
    pairs first (a float when every item is a float): about log2(n) ops deep,
    not n - 1, so a compiled program runs it in a few steps."""
    level = _scores(xs, "max_of")
    while len(level) > 1:
        paired = [ops.maximum(a, b) for a, b in zip(level[::2], level[1::2])]
        level = paired + level[len(paired) * 2:]
    return level[0]


def softmax(xs: Sequence[Scalar]) -> list[Scalar]:
    """``exp(x_i) / sum_j exp(x_j)``: scores turned into probabilities that
    sum to 1. Shifted by the maximum, so large scores never overflow."""
    items = _scores(xs, "softmax")
    shift = max_of(items)
    exps = [ops.exp(x - shift) for x in items]
    total = sum(exps[1:], exps[0])
    return [e / total for e in exps]


def log_softmax(xs: Sequence[Scalar]) -> list[Scalar]:
    """``x_i - log(sum_j exp(x_j))``, the log of :func:`softmax`, computed
    without ever taking the log of a rounded-off 0 (a cross-entropy loss is
    ``-log_softmax(logits)[target]``)."""
    items = _scores(xs, "log_softmax")
    shift = max_of(items)
    shifted = [x - shift for x in items]
    exps = [ops.exp(s) for s in shifted]
    log_total = ops.log(sum(exps[1:], exps[0]))
    return [s - log_total for s in shifted]
