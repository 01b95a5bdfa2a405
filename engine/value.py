"""``Value``: one scalar node of a computation graph.

A ``Value`` holds a finite float (``data``), the gradient of the latest
backward pass (``grad``), and the nodes it was computed from. Its operators
are thin bindings to the ops in :mod:`engine.ops`, where each op's maths is
defined once.
"""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Iterable
from typing import Any

from engine.checks import to_float
from engine.mode import STATE

__all__ = ["Constant", "Value"]

next_id = itertools.count().__next__
"""Creation stamps: a node is always made after its inputs, so sorting by
``_id`` gives a topological order (thread-safe under the GIL)."""


class Value:
    """A scalar in a computation graph, with its gradient.

    Compatible with micrograd and the Zero-to-Hero lecture: ``Value(data,
    _children=(), _op='', label='')``, ``.data``, ``.grad``, ``.label``,
    ``._prev`` (a set of the input nodes) and ``._op`` (the op's symbol).
    """

    __slots__ = ("_children", "_data", "_fn", "_grad", "_id", "_scope", "label")

    __array_ufunc__ = None  # numpy defers to our reflected operators

    _fn: Any  # the engine.Op that made this node, or None

    def __init__(
        self,
        data: float,
        _children: Iterable[Value] = (),
        _op: str = "",
        label: str = "",
    ) -> None:
        self._data = to_float(data, "Value")
        self._grad = 0.0
        children = tuple(_children)
        for child in children:
            if not isinstance(child, Value):
                raise TypeError(f"Value: _children must be Values, got {type(child).__name__}")
        self._children = children
        self._fn = _ops.drawn_only(str(_op)) if _op else None
        self.label = label
        self._scope = STATE.get().scope
        self._id = next_id()

    # -- data, grad and graph structure ------------------------------------

    @property
    def data(self) -> float:
        """The value itself: always a finite float."""
        return self._data

    @data.setter
    def data(self, value: float) -> None:
        self._data = to_float(value, "Value.data")

    @property
    def grad(self) -> float:
        """d(output)/d(this node) from the latest ``backward()``: a finite float."""
        return self._grad

    @grad.setter
    def grad(self, value: float) -> None:
        self._grad = to_float(value, "Value.grad")

    @property
    def _prev(self) -> set[Value]:
        """The nodes this one was computed from (a set, as in micrograd)."""
        return set(self._children)

    @property
    def children(self) -> tuple[Value, ...]:
        """The nodes this one was computed from, in argument order."""
        return self._children

    @property
    def _op(self) -> str:
        """The symbol of the op that made this node ('' for leaves)."""
        return self._fn.symbol if self._fn is not None else ""

    @property
    def op(self) -> Any:
        """The :class:`engine.Op` that made this node, or ``None`` for a leaf."""
        return self._fn

    @property
    def scope(self) -> str:
        """Where the node was made (see :func:`engine.name_scope`), or ''."""
        return self._scope

    @property
    def is_leaf(self) -> bool:
        """True for nodes not computed from others (inputs, parameters, constants)."""
        return not self._children

    def __repr__(self) -> str:
        return f"Value(data={self._data}, grad={self._grad})"

    # -- backpropagation ---------------------------------------------------

    def backward(self) -> None:
        """Fill in ``.grad`` of every node this one depends on.

        Iterative, so any depth works. Leaves accumulate across calls (like
        PyTorch); every other node holds the gradient of the latest pass.
        """
        _autograd.backward(self)

    def _backward(self) -> None:
        """Push this node's ``grad`` one step down to its inputs (adding to
        their ``grad``), as micrograd's per-node closure does."""
        _autograd.local_step(self)

    # -- comparisons look at data; == and hash stay identity ---------------

    def __lt__(self, other: Any) -> bool:
        return self._data < _compare(other)

    def __le__(self, other: Any) -> bool:
        return self._data <= _compare(other)

    def __gt__(self, other: Any) -> bool:
        return self._data > _compare(other)

    def __ge__(self, other: Any) -> bool:
        return self._data >= _compare(other)

    # -- arithmetic: bindings to engine.ops --------------------------------

    def __add__(self, other: Value | float) -> Value:
        if not isinstance(other, Value):
            other = as_operand(other, "add")
        return _ops.add.binary(self, other)

    def __radd__(self, other: float) -> Value:
        return _ops.add.binary(as_operand(other, "add"), self)

    def __sub__(self, other: Value | float) -> Value:
        if not isinstance(other, Value):
            other = as_operand(other, "sub")
        return _ops.sub.binary(self, other)

    def __rsub__(self, other: float) -> Value:
        return _ops.sub.binary(as_operand(other, "sub"), self)

    def __mul__(self, other: Value | float) -> Value:
        if not isinstance(other, Value):
            other = as_operand(other, "mul")
        return _ops.mul.binary(self, other)

    def __rmul__(self, other: float) -> Value:
        return _ops.mul.binary(as_operand(other, "mul"), self)

    def __truediv__(self, other: Value | float) -> Value:
        if not isinstance(other, Value):
            other = as_operand(other, "div")
        return _ops.div.binary(self, other)

    def __rtruediv__(self, other: float) -> Value:
        return _ops.div.binary(as_operand(other, "div"), self)

    def __pow__(self, other: Value | float) -> Value:
        if not isinstance(other, Value):
            other = as_operand(other, "pow")
        return _ops.pow.binary(self, other)

    def __rpow__(self, other: float) -> Value:
        return _ops.pow.binary(as_operand(other, "pow"), self)

    def __neg__(self) -> Value:
        return _ops.neg.unary(self)

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        return _ops.abs.unary(self)

    def exp(self) -> Value:
        """e ** self."""
        return _ops.exp.unary(self)

    def log(self) -> Value:
        """Natural logarithm (self > 0)."""
        return _ops.log.unary(self)

    def sqrt(self) -> Value:
        """Square root (self >= 0)."""
        return _ops.sqrt.unary(self)

    def tanh(self) -> Value:
        """Hyperbolic tangent."""
        return _ops.tanh.unary(self)

    def sigmoid(self) -> Value:
        """Logistic function 1 / (1 + e ** -self)."""
        return _ops.sigmoid.unary(self)

    def relu(self) -> Value:
        """max(0, self); derivative 0 at 0."""
        return _ops.relu.unary(self)

    def gelu(self) -> Value:
        """Gaussian error linear unit, exact (erf) form."""
        return _ops.gelu.unary(self)

    def softplus(self) -> Value:
        """log(1 + e ** self), computed without overflow."""
        return _ops.softplus.unary(self)

    def sin(self) -> Value:
        """Sine."""
        return _ops.sin.unary(self)

    def cos(self) -> Value:
        """Cosine."""
        return _ops.cos.unary(self)

    def erf(self) -> Value:
        """Gauss error function."""
        return _ops.erf.unary(self)

    def abs(self) -> Value:
        """|self|; derivative 0 at 0."""
        return _ops.abs.unary(self)


class Constant(Value):
    """A plain number that took part in an op (the ``2`` in ``x * 2``).

    It is drawn like any leaf, but backward never computes its gradient.
    """

    __slots__ = ()


def as_operand(x: Any, op_name: str) -> Value:
    """``x`` itself if it is a ``Value``, else a new :class:`Constant`."""
    if isinstance(x, Value):
        return x
    node = Constant.__new__(Constant)
    node._data = to_float(x, op_name)
    node._grad = 0.0
    node._children = ()
    node._fn = None
    node.label = ""
    node._scope = STATE.get().scope
    node._id = next_id()
    return node


def _compare(other: Any) -> float:
    """The number a comparison with a ``Value`` looks at."""
    if isinstance(other, Value):
        return other._data
    if isinstance(other, numbers.Real):
        return float(other)
    raise TypeError(f"cannot compare a Value with {type(other).__name__} {other!r}")


from engine import autograd as _autograd  # noqa: E402  (cycle: they use Value)
from engine import ops as _ops  # noqa: E402
