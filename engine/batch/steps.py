"""The two kernels a batched program is made of, each running many nodes in one numpy call.

Values live in a table ``V`` of shape (rows, batch): one row per node, one column per
sample; gradients in a table ``G`` of the same shape. A step's outputs are one
contiguous block of rows, so writing them is a slice assignment.

* :class:`Elementwise` — one op applied to many nodes at once (same op, same depth).
* :class:`Linear` — many affine nodes at once (sums, differences, negations and
  products with a shared value, fused into trees): ``W @ V[inputs] + bias``, where
  ``W`` and ``bias`` are read from the shared values (parameters) at every call.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise
from typing import Union

import numpy as np

from engine.batch.arrays import array_derivative, array_forward, first_failing_lane
from engine.op import Op
from engine.value import Value

__all__ = ["Elementwise", "Index", "Linear", "Step", "index_of"]

Index = Union[slice, np.ndarray]  # noqa: UP007 (a runtime alias on Python 3.10)
"""Rows of the table: a slice when they are consecutive, else an index array."""


def index_of(rows: Sequence[int]) -> Index:
    """``rows`` as a slice when consecutive and ascending, else as an index array."""
    if rows and all(b == a + 1 for a, b in pairwise(rows)):
        return slice(rows[0], rows[-1] + 1)
    return np.array(rows, dtype=np.intp)


def _add_into(table: np.ndarray, rows: Index, unique: bool, values: np.ndarray) -> None:
    """``table[rows] += values``, correct even when ``rows`` repeats a row."""
    if isinstance(rows, slice) or unique:
        table[rows] += values
    else:
        np.add.at(table, rows, values)


def _is_unique(rows: Index) -> bool:
    return isinstance(rows, slice) or len(np.unique(rows)) == len(rows)


def _not_finite(where: str, value: float, sample: int) -> ArithmeticError | ValueError:
    kind = OverflowError if math.isinf(value) else ValueError
    return kind(f"{where} is {value} in batch sample {sample}")


class Elementwise:
    """``op`` applied to ``len(nodes)`` nodes of the same depth in one call."""

    def __init__(self, op: Op, nodes: list[Value], out: slice, args: list[list[int]],
                 wants_grad: list[bool]) -> None:
        self.op = op
        self.nodes = nodes
        self.out = out
        self.args = [index_of(rows) for rows in args]
        self.unique = [_is_unique(rows) for rows in self.args]
        self.wants_grad = wants_grad
        self.forward_fn = array_forward(op)
        self.derivatives = [array_derivative(op, i) if wanted else 0.0
                            for i, wanted in enumerate(wants_grad)]
        self.needs_backward = any(wants_grad)

    def forward(self, V: np.ndarray, shared: np.ndarray) -> None:
        """Compute this step's rows of ``V`` from its argument rows (returns nothing
        for backward to reuse)."""
        xs = [V[rows] for rows in self.args]
        try:
            out = self.forward_fn(*xs)
        except (ArithmeticError, ValueError, TypeError):
            raise self._forward_error(xs) from None
        if not np.isfinite(out).all():
            raise self._forward_error(xs)
        V[self.out] = out

    def backward(self, V: np.ndarray, G: np.ndarray, shared_grad: np.ndarray,
                 saved: None) -> None:
        """Add this step's local derivatives times its rows' gradients into ``G``."""
        g = G[self.out]
        xs = [V[rows] for rows in self.args]
        out = V[self.out]
        for i, derivative in enumerate(self.derivatives):
            if not self.wants_grad[i]:
                continue
            local = derivative if isinstance(derivative, float) else derivative(*xs, out)
            contribution = g * local
            if not np.isfinite(contribution).all():
                contribution = np.where(g == 0.0, 0.0, contribution)  # 0 * inf at unused nodes
                if not np.isfinite(contribution).all():
                    raise self._backward_error(xs, i, contribution)
            _add_into(G, self.args[i], self.unique[i], contribution)

    def _forward_error(self, xs: list[np.ndarray]) -> BaseException:
        shape = (len(self.nodes), xs[0].shape[-1])
        for j in range(len(self.nodes)):
            lanes = [np.broadcast_to(x, shape)[j] for x in xs]
            with np.errstate(all="ignore"):
                try:
                    row = np.broadcast_to(self.forward_fn(*lanes), shape[1:])
                    if np.isfinite(row).all():
                        continue
                except (ArithmeticError, ValueError, TypeError):
                    pass
            sample, error = first_failing_lane(self.op, lanes)
            return type(error)(f"batch sample {sample}: {error}")
        return ValueError(f"{self.op.name}: failed on arrays but on no single sample")

    def _backward_error(self, xs: list[np.ndarray], i: int, bad: np.ndarray) -> BaseException:
        j, sample = (int(k) for k in np.argwhere(~np.isfinite(bad))[0])
        shape = bad.shape
        point = ", ".join(repr(float(np.broadcast_to(x, shape)[j, sample])) for x in xs)
        return _not_finite(f"{self.op.name}({point}): gradient through input {i}",
                           float(bad[j, sample]), sample)


class Linear:
    """Affine nodes of the same depth: ``V[out] = W @ V[inputs] + bias`` in one product.

    Each term ``(root, column, factor, source)`` puts ``factor * shared[source]`` into
    ``W[root, column]``; each bias term ``(root, factor, source)`` adds the same into
    ``bias[root]``. ``shared[-1]`` is 1.0, the source of plain number factors.
    """

    def __init__(self, nodes: list[Value], out: slice, inputs: list[int],
                 terms: list[tuple[int, int, float, int]],
                 biases: list[tuple[int, float, int]], inputs_want_grad: bool,
                 shared_want_grad: bool) -> None:
        self.nodes = nodes
        self.out = out
        self.inputs = index_of(inputs)
        self.shape = (len(nodes), len(inputs))
        root, column, factor, source = (np.array(x) for x in zip(*terms)) if terms else (
            np.zeros(0, np.intp), np.zeros(0, np.intp), np.zeros(0), np.zeros(0, np.intp))
        self.term_root = root.astype(np.intp)
        self.term_column = column.astype(np.intp)
        self.term_factor = factor.astype(float)
        self.term_source = source.astype(np.intp)
        self.pairs_unique = len(set(zip(root.tolist(), column.tolist()))) == len(terms)
        b_root, b_factor, b_source = (np.array(x) for x in zip(*biases)) if biases else (
            np.zeros(0, np.intp), np.zeros(0), np.zeros(0, np.intp))
        self.bias_root = b_root.astype(np.intp)
        self.bias_factor = b_factor.astype(float)
        self.bias_source = b_source.astype(np.intp)
        self.inputs_want_grad = inputs_want_grad
        self.shared_want_grad = shared_want_grad
        self.needs_backward = inputs_want_grad or shared_want_grad

    def weights(self, shared: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``W`` and ``bias`` for the current shared values."""
        W = np.zeros(self.shape)
        coefficients = self.term_factor * shared[self.term_source]
        if self.pairs_unique:
            W[self.term_root, self.term_column] = coefficients
        else:
            np.add.at(W, (self.term_root, self.term_column), coefficients)
        bias = np.bincount(self.bias_root, self.bias_factor * shared[self.bias_source],
                           minlength=self.shape[0])
        return W, bias

    def forward(self, V: np.ndarray, shared: np.ndarray) -> np.ndarray:
        """Compute this step's rows of ``V``; return ``W`` for backward to reuse."""
        W, bias = self.weights(shared)
        out = W @ V[self.inputs]
        out += bias[:, None]
        if not np.isfinite(out).all():
            j, sample = (int(k) for k in np.argwhere(~np.isfinite(out))[0])
            node = self.nodes[j]
            raise _not_finite(f"{node.op.name}: result (an affine combination)",
                              float(out[j, sample]), sample)
        V[self.out] = out
        return W

    def backward(self, V: np.ndarray, G: np.ndarray, shared_grad: np.ndarray,
                 W: np.ndarray) -> None:
        """Gradients into the input rows of ``G`` and into the shared values used as
        coefficients (summed over the batch by the products themselves)."""
        g = G[self.out]
        if self.inputs_want_grad:
            G[self.inputs] += W.T @ g
        if self.shared_want_grad:
            dW = g @ V[self.inputs].T
            per_term = self.term_factor * dW[self.term_root, self.term_column]
            per_bias = self.bias_factor * g.sum(axis=1)[self.bias_root]
            size = len(shared_grad)
            shared_grad += np.bincount(self.term_source, per_term, minlength=size)
            shared_grad += np.bincount(self.bias_source, per_bias, minlength=size)


Step = Union[Elementwise, Linear]  # noqa: UP007
"""One step of a batched program."""
