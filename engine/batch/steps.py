"""The two kernels a batched program is made of, each running many nodes in one numpy call.

Values live in a table ``V`` of shape (rows, lanes): one row per node, one column per
lane (a batch sample, or the single lane of the shared part); gradients in a table
``G`` of the same shape. A step's outputs are one contiguous block of rows, so
writing them is a slice assignment.

* :class:`Elementwise` — one op applied to many nodes at once (same op, same depth).
* :class:`Linear` — many affine nodes at once (sums, differences, negations and
  products with a shared value, fused into trees): ``W @ V[inputs] + bias``, where
  ``W`` and ``bias`` are read from the shared values (parameters) at every call.

Everything that does not change between calls (index arrays, where each coefficient
goes in ``W``, weights made of constants only) is worked out when the step is made.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Union

import numpy as np

from engine.batch.arrays import array_derivative, array_forward, first_failing_lane
from engine.op import Op
from engine.value import Value

__all__ = ["Elementwise", "Index", "Linear", "Step", "all_finite", "index_of"]

Index = Union[slice, np.ndarray]  # noqa: UP007 (a runtime alias on Python 3.10)
"""Rows of the table: a slice when they are consecutive, else an index array."""

_sum = np.add.reduce


def index_of(rows: Sequence[int]) -> Index:
    """``rows`` as a slice when consecutive and ascending, else as an index array."""
    if rows and list(rows) == list(range(rows[0], rows[0] + len(rows))):
        return slice(rows[0], rows[-1] + 1)
    return np.array(rows, dtype=np.intp)


def all_finite(values: np.ndarray) -> bool:
    """Whether every element of ``values`` is finite. One summing pass usually decides
    it (a sum is finite only if every term is); the element-wise check runs only when
    the sum is not finite, which an overflowing sum of finite numbers can also cause."""
    return math.isfinite(_sum(values, axis=None)) or bool(np.isfinite(values).all())


def _add_into(table: np.ndarray, rows: Index, unique: bool, values: np.ndarray) -> None:
    """``table[rows] += values``, correct even when ``rows`` repeats a row."""
    if unique or isinstance(rows, slice):
        table[rows] += values
    else:
        np.add.at(table, rows, values)


def _is_unique(rows: Index) -> bool:
    return isinstance(rows, slice) or len(np.unique(rows)) == len(rows)


def _in_lane(lanes_are_samples: bool, sample: int) -> str:
    """Where a failure happened, for a message: the batch sample, or nothing when the
    single lane is the shared part (values that depend on no sample)."""
    return f" in batch sample {sample}" if lanes_are_samples else ""


def _not_finite(what: str, value: float, where: str) -> ArithmeticError | ValueError:
    """The error for ``what`` having become ``value`` (inf: an overflow; nan: undefined)."""
    kind = OverflowError if math.isinf(value) else ValueError
    return kind(f"{what} is {value}{where}")


class Elementwise:
    """``op`` applied to ``len(nodes)`` nodes of the same depth in one call."""

    def __init__(self, op: Op, nodes: list[Value], out: slice, args: list[list[int]],
                 wants_grad: list[bool], lanes_are_samples: bool = True) -> None:
        self.op = op
        self.size = len(nodes)
        self.out = out
        self.args = [index_of(rows) for rows in args]
        self.unique = [_is_unique(rows) for rows in self.args]
        self.wants_grad = wants_grad
        self.forward_fn = array_forward(op)
        self.derivatives = [array_derivative(op, i) if wanted else 0.0
                            for i, wanted in enumerate(wants_grad)]
        self.needs_backward = any(wants_grad)
        self.lanes_are_samples = lanes_are_samples

    def forward(self, V: np.ndarray, shared: np.ndarray) -> None:
        """Compute this step's rows of ``V`` from its argument rows (returns nothing
        for backward to reuse)."""
        xs = [V[rows] for rows in self.args]
        try:
            out = self.forward_fn(*xs)
        except (ArithmeticError, ValueError, TypeError):
            raise self._forward_error(xs) from None
        if not all_finite(out):
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
            try:
                local = derivative if isinstance(derivative, float) else derivative(*xs, out)
            except (ArithmeticError, ValueError) as error:  # a derivative run lane by lane
                raise type(error)(
                    f"{self.op.name}: derivative is undefined here: {error}") from None
            contribution = g * local
            if not all_finite(contribution):
                contribution = np.where(g == 0.0, 0.0, contribution)  # 0 * inf at unused nodes
                if not all_finite(contribution):
                    raise self._backward_error(xs, i, contribution)
            _add_into(G, self.args[i], self.unique[i], contribution)

    def _forward_error(self, xs: list[np.ndarray]) -> BaseException:
        shape = (self.size, xs[0].shape[-1])
        for j in range(self.size):
            lanes = [np.broadcast_to(x, shape)[j] for x in xs]
            with np.errstate(all="ignore"):
                try:
                    row = np.broadcast_to(self.forward_fn(*lanes), shape[1:])
                    if np.isfinite(row).all():
                        continue
                except (ArithmeticError, ValueError, TypeError):
                    pass
            sample, error = first_failing_lane(self.op, lanes)
            if not self.lanes_are_samples:
                return error
            return type(error)(f"batch sample {sample}: {error}")
        return ValueError(f"{self.op.name}: failed on arrays but on no single sample")

    def _backward_error(self, xs: list[np.ndarray], i: int, bad: np.ndarray) -> BaseException:
        j, sample = (int(k) for k in np.argwhere(~np.isfinite(bad))[0])
        shape = bad.shape
        point = ", ".join(repr(float(np.broadcast_to(x, shape)[j, sample])) for x in xs)
        return _not_finite(f"{self.op.name}({point}): gradient through input {i}",
                           float(bad[j, sample]), _in_lane(self.lanes_are_samples, sample))


class Linear:
    """Affine nodes of the same depth: ``V[out] = W @ V[inputs] (+ bias)`` in one product.

    Each term ``(row, column, factor, source)`` adds ``factor * shared[source]`` into
    ``W[row, column]``; ``shared[-1]`` is 1.0, the source of plain number factors.
    When ``biased``, ``W`` has one more, last column: the constant terms (biases),
    added to every lane as if multiplying a row of ones.

    With ``tiles`` k > 1 the step applies one ``W`` to k frontiers at once (one
    weight matrix at k positions): input ``c * k + t`` is column ``c`` of tile
    ``t`` and output ``r * k + t`` is row ``r`` of tile ``t``, so the k frontiers
    sit side by side as one (columns, k * lanes) matrix and the product is a single
    call. Each tile has its own bias column (``W`` has k of them, last).

    ``shared_want_grad`` says whether any source depends on a parameter: then ``W``
    is read from the shared values at every call (a view of them, when the sources
    are consecutive and fill ``W`` in order: an MLP layer), and backward sends
    gradients into them. Otherwise ``W`` is built once, from ``constants``.
    """

    def __init__(self, nodes: list[Value], out: slice, inputs: list[int], biased: bool,
                 terms: list[tuple[int, int, float, int]], inputs_want_grad: bool,
                 shared_want_grad: bool, constants: np.ndarray,
                 lanes_are_samples: bool = True, tiles: int = 1) -> None:
        self.op_names = [getattr(n.op, "name", "") for n in nodes]  # for errors; no nodes kept
        self.out = out
        self.inputs = index_of(inputs)
        self.inputs_unique = _is_unique(self.inputs)
        self.tiles = tiles
        self.columns = len(inputs) // tiles  # of W, before the bias columns
        self.biased = biased
        self.shape = (len(nodes) // tiles, self.columns + tiles * biased)
        width = self.shape[1]
        terms = sorted(terms, key=lambda t: t[0] * width + t[1])  # W.ravel() order
        self.sources = [s for *_, s in terms]
        self.term_source = index_of(self.sources)
        self.sources_unique = _is_unique(self.term_source)
        self.term_position = np.array([r * width + c for r, c, _, _ in terms], dtype=np.intp)
        self.term_factor = np.array([f for _, _, f, _ in terms], dtype=float)
        self.unit_factors = bool(np.all(self.term_factor == 1.0))
        # dense: each entry of W is exactly one term, in order (an MLP layer)
        self.dense = np.array_equal(self.term_position, np.arange(self.shape[0] * width))
        self.inputs_want_grad = inputs_want_grad
        self.shared_want_grad = shared_want_grad
        self.needs_backward = inputs_want_grad or shared_want_grad
        self.lanes_are_samples = lanes_are_samples
        self.fixed: np.ndarray | None = None
        if not shared_want_grad:
            self.fixed = self.weights(constants)

    def weights(self, shared: np.ndarray) -> np.ndarray:
        """``W`` for the current shared values."""
        if self.fixed is not None:
            return self.fixed
        coefficients = shared[self.term_source]
        if not self.unit_factors:
            coefficients = coefficients * self.term_factor
        if self.dense:
            return coefficients.reshape(self.shape)
        size = self.shape[0] * self.shape[1]
        return np.bincount(self.term_position, coefficients, minlength=size
                           ).reshape(self.shape)

    def _side_by_side(self, table: np.ndarray, rows: Index, height: int) -> np.ndarray:
        """``table[rows]`` as (height, tiles * lanes): the tiles side by side (a view
        when ``rows`` is a slice)."""
        block = table[rows]
        return block if self.tiles == 1 else block.reshape(height, -1)

    def forward(self, V: np.ndarray, shared: np.ndarray) -> np.ndarray:
        """Compute this step's rows of ``V``; return ``W`` for backward to reuse."""
        W = self.weights(shared)
        out = self._side_by_side(V, self.out, self.shape[0])
        x = self._side_by_side(V, self.inputs, self.columns)
        np.matmul(W[:, : self.columns], x, out=out)
        if self.biased:
            bias = W[:, self.columns:]
            if self.tiles == 1:
                out += bias
            else:
                lanes = out.reshape(self.shape[0], self.tiles, -1)
                lanes += bias[:, :, None]
        result = V[self.out]
        if not all_finite(result):
            j, sample = (int(k) for k in np.argwhere(~np.isfinite(result))[0])
            raise _not_finite(f"{self.op_names[j]}: result (an affine combination)",
                              float(result[j, sample]), _in_lane(self.lanes_are_samples, sample))
        return W

    def backward(self, V: np.ndarray, G: np.ndarray, shared_grad: np.ndarray,
                 W: np.ndarray) -> None:
        """Gradients into the input rows of ``G`` and into the shared values used as
        coefficients (summed over the batch by the products themselves)."""
        g = self._side_by_side(G, self.out, self.shape[0])
        if self.inputs_want_grad:
            dx = W[:, : self.columns].T @ g
            _add_into(G, self.inputs, self.inputs_unique, dx.reshape(-1, G.shape[1]))
        if self.shared_want_grad:
            dW = np.empty(self.shape)
            x = self._side_by_side(V, self.inputs, self.columns)
            np.matmul(g, x.T, out=dW[:, : self.columns])
            if self.biased:
                if self.tiles == 1:
                    np.add.reduce(g, axis=1, out=dW[:, self.columns])
                else:
                    lanes = g.reshape(self.shape[0], self.tiles, -1)
                    np.add.reduce(lanes, axis=2, out=dW[:, self.columns:])
            per_term = dW.ravel() if self.dense else dW.ravel()[self.term_position]
            if not self.unit_factors:
                per_term = per_term * self.term_factor
            _add_into(shared_grad, self.term_source, self.sources_unique, per_term)


Step = Union[Elementwise, Linear]  # noqa: UP007
"""One step of a batched program."""
