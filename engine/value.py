"""``Value``: one scalar node of a computation graph.

A ``Value`` holds a finite float (``data``), the gradient of the latest
backward pass (``grad``), and the nodes it was computed from. This module is
the bottom of the engine: it imports no other module of the engine's graph
code. Its operators (``+``, ``*``, ``exp()`` ...) are generated from the op
registry and attached by :mod:`engine.ops`, where each op's maths is defined
once; ``backward`` calls into :mod:`engine.autograd` when it runs.

Import order (made explicit, no cycle at import time)::

    checks, mode  <-  value  <-  op  <-  ops (attaches Value's operators)
                        ^         ^-----  autograd
                        +-- collector ---/
"""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from engine.checks import short_repr, to_float
from engine.mode import STATE

if TYPE_CHECKING:
    from engine.op import Op

__all__ = ["Constant", "Value"]

next_id = itertools.count().__next__
"""Creation stamps: a node is always made after its inputs, so sorting by
``_id`` gives a topological order (thread-safe under the GIL)."""

_new = object.__new__


def node_source(node: str, data: str, children: str, op: str, label: str, scope: str) -> str:
    """THE node constructor, as Python statements that set every field of the
    freshly allocated node named ``node`` from the given expressions. ``fill``
    is compiled from it, and the engine's generated operators inline it (their
    hot path), so a new field is added here once. ``data`` must already be a
    finite float."""
    return (f"{node}._data = {data}\n{node}._grad = 0.0\n{node}._children = {children}\n"
            f"{node}._fn = {op}\n{node}.label = {label}\n{node}._scope = {scope}\n"
            f"{node}._id = next_id()\n")


def _compile_fill() -> Callable[[Value, float, tuple[Value, ...], Op | None, str, str], Value]:
    body = node_source("node", "data", "children", "op", "label", "scope")
    source = "def fill(node, data, children, op, label, scope):\n" + "".join(
        f"    {line}\n" for line in body.splitlines()) + "    return node\n"
    scope: dict[str, Any] = {"next_id": next_id}
    exec(source, scope)  # our own generated code
    fill = scope["fill"]
    fill.__doc__ = """Set every field of the freshly allocated ``node`` and return it
    (``Value.__init__``, constants and the rarer op paths come through here;
    see :func:`node_source`)."""
    return fill


class Value:
    """A scalar in a computation graph, with its gradient.

    Compatible with micrograd and the Zero-to-Hero lecture: ``Value(data,
    _children=(), _op='', label='')``, ``.data``, ``.grad``, ``.label``,
    ``._prev`` (a set of the input nodes) and ``._op`` (the op's symbol).
    """

    __slots__ = ("_children", "_data", "_fn", "_grad", "_id", "_scope", "label")

    __array_ufunc__ = None  # numpy defers to our reflected operators

    _data: float
    _grad: float
    _children: tuple[Value, ...]  # the node's arguments (public: ``children``)
    _fn: Op | None  # the op that made this node (public: ``op``); None for leaves
    _id: int
    _scope: str
    label: str

    def __init__(
        self,
        data: float,
        _children: Iterable[Value] = (),
        _op: str = "",
        label: str = "",
    ) -> None:
        children = tuple(_children)
        for child in children:
            if not isinstance(child, Value):
                raise TypeError(f"Value: _children must be Values, got {type(child).__name__}")
        op = None
        if _op:
            from engine.op import drawn_only  # only for graphs built by hand

            op = drawn_only(str(_op))
        fill(self, to_float(data, "Value"), children, op, label, STATE.get().scope)

    # -- data, grad and graph structure ------------------------------------

    @property
    def data(self) -> float:
        """The value itself: always a finite float."""
        return self._data

    @data.setter
    def data(self, value: float) -> None:
        self._data = value if type(value) is float and value - value == 0.0 else to_float(
            value, "Value.data")

    @property
    def grad(self) -> float:
        """d(output)/d(this node) from the latest ``backward()``: a finite float."""
        return self._grad

    @grad.setter
    def grad(self, value: float) -> None:
        self._grad = value if type(value) is float and value - value == 0.0 else to_float(
            value, "Value.grad")

    @property
    def children(self) -> tuple[Value, ...]:
        """The nodes this one was computed from, in argument order."""
        return self._children

    @property
    def _prev(self) -> set[Value]:
        """``children`` as a set, as in micrograd."""
        return set(self._children)

    @property
    def op(self) -> Op | None:
        """The :class:`engine.Op` that made this node, or ``None`` for a leaf."""
        return self._fn

    @property
    def _op(self) -> str:
        """The symbol of the op that made this node ('' for leaves), as in micrograd."""
        return self._fn.symbol if self._fn is not None else ""

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
        from engine.autograd import backward  # autograd imports this module

        backward(self)

    def _backward(self) -> None:
        """Push this node's ``grad`` one step down to its inputs (adding to
        their ``grad``), as micrograd's per-node closure does."""
        if self._fn is not None:
            self._fn.push(self, self._grad)

    # -- copying and pickling ----------------------------------------------

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        """Pickle and copy without recursion (any depth): leaves by their fields,
        a computed node as its whole graph in topological order (ops by name)."""
        from engine.graphs import reduce_value  # iterative graph flattening

        return reduce_value(self)

    # -- comparisons look at data; == and hash stay identity ---------------

    def __lt__(self, other: Any) -> bool:
        return self._data < _compare(other)

    def __le__(self, other: Any) -> bool:
        return self._data <= _compare(other)

    def __gt__(self, other: Any) -> bool:
        return self._data > _compare(other)

    def __ge__(self, other: Any) -> bool:
        return self._data >= _compare(other)

    # -- arithmetic: generated from the registry by engine.ops -------------

    if TYPE_CHECKING:  # the real methods are attached by engine.ops

        def __add__(self, other: Value | float) -> Value: ...
        def __radd__(self, other: float) -> Value: ...
        def __sub__(self, other: Value | float) -> Value: ...
        def __rsub__(self, other: float) -> Value: ...
        def __mul__(self, other: Value | float) -> Value: ...
        def __rmul__(self, other: float) -> Value: ...
        def __truediv__(self, other: Value | float) -> Value: ...
        def __rtruediv__(self, other: float) -> Value: ...
        def __pow__(self, other: Value | float) -> Value: ...
        def __rpow__(self, other: float) -> Value: ...
        def __neg__(self) -> Value: ...
        def __abs__(self) -> Value: ...
        def exp(self) -> Value: ...
        def log(self) -> Value: ...
        def sqrt(self) -> Value: ...
        def tanh(self) -> Value: ...
        def sigmoid(self) -> Value: ...
        def relu(self) -> Value: ...
        def gelu(self) -> Value: ...
        def softplus(self) -> Value: ...
        def sin(self) -> Value: ...
        def cos(self) -> Value: ...
        def erf(self) -> Value: ...
        def abs(self) -> Value: ...

    def __pos__(self) -> Value:
        return self


class Constant(Value):
    """A plain number that took part in an op (the ``2`` in ``x * 2``).

    It is drawn like any leaf, but backward never computes its gradient.
    """

    __slots__ = ()


fill = _compile_fill()


def as_operand(x: Any, op_name: str) -> Value:
    """``x`` itself if it is a ``Value``, else a new :class:`Constant`."""
    if isinstance(x, Value):
        return x
    data = x if type(x) is float and x - x == 0.0 else to_float(x, op_name)
    return fill(_new(Constant), data, (), None, "", STATE.get().scope)


def _compare(other: Any) -> Any:
    """The number a comparison with a ``Value`` looks at: compared exactly
    (a huge int is fine); nan has no order, so it is refused."""
    if isinstance(other, Value):
        return other._data
    if isinstance(other, numbers.Real):
        if other != other:
            raise ValueError("cannot compare a Value with nan: nan has no order")
        return other
    raise TypeError(f"cannot compare a Value with {type(other).__name__} {short_repr(other)}")
