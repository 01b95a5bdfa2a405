"""The op registry: every differentiable operation is declared here once.

An :class:`Op` holds the three facts about an operation that the rest of
glassgrad needs, and nothing else reads them from anywhere else:

* ``forward`` — the value, computed on plain floats;
* ``derivatives`` — one local partial derivative per input, written with
  ordinary arithmetic and other ops, so the very same expression runs on
  floats (a fast backward pass) and on ``Value`` nodes (differentiable
  gradients, hence second derivatives);
* ``symbol`` — how drawings label the op.

It also carries ``domains``: where each input may be sampled so that the
op is smooth there, which is what the property tests and hypothesis
strategies use to stay away from kinks and singularities.

Calling an op applies it: on floats it returns a float, and as soon as one
argument is a ``Value`` it returns a new ``Value`` node in the graph.
"""

from __future__ import annotations

import inspect
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from engine.mode import STATE
from engine.value import Constant, Value, as_operand, next_id, to_float

__all__ = ["REGISTRY", "Domain", "Op", "define_op"]

Derivative = Callable[..., Any] | float
"""A local partial derivative: a function of the inputs (and optionally
the output), or a constant."""


@dataclass(frozen=True)
class Domain:
    """Where one input of an op is smooth: the open interval ``(low, high)``
    without the points in ``avoid`` (kinks or singularities).

    Only sampling reads this (property tests, ``engine.testing``); applying an
    op outside it is not an error unless the forward itself says so.
    """

    low: float = -math.inf
    high: float = math.inf
    avoid: tuple[float, ...] = ()


REGISTRY: dict[str, Op] = {}
"""Every defined op by name, built-in and user-defined, in definition order."""


class Op:
    """One differentiable operation. Create them with :func:`define_op`."""

    __slots__ = (
        "arity",
        "array_forward",
        "derivatives",
        "doc",
        "domains",
        "forward",
        "name",
        "symbol",
        "takes_output",
    )

    def __init__(
        self,
        name: str,
        forward: Callable[..., float],
        derivatives: Sequence[Derivative],
        symbol: str | None = None,
        domains: Sequence[Domain] | None = None,
        doc: str | None = None,
        array_forward: Callable[..., Any] | None = None,
    ) -> None:
        arity = len(derivatives)
        self.name = name
        self.arity = arity
        self.forward = forward
        self.derivatives = tuple(d if callable(d) else float(d) for d in derivatives)
        self.symbol = symbol or name
        self.domains = tuple(domains) if domains is not None else (Domain(),) * arity
        self.takes_output = tuple(_takes_output(d, arity, name) for d in self.derivatives)
        self.doc = doc or forward.__doc__ or ""
        self.array_forward = array_forward

    def __repr__(self) -> str:
        return f"<op {self.name} ({self.symbol}), {self.arity} input(s)>"

    def __call__(self, *args: Any) -> Any:
        """Apply the op: floats in, float out; any ``Value`` in, ``Value`` out;
        any numpy array in (and no Value), an array out (see ``on_arrays``)."""
        if len(args) != self.arity:
            raise TypeError(f"{self.name}: takes {self.arity} argument(s), got {len(args)}")
        for arg in args:
            if isinstance(arg, Value):
                return self.apply(*[as_operand(a, self.name) for a in args])
        for arg in args:
            if _is_array(arg):
                return self.on_arrays(*args)
        return self.evaluate(*[to_float(a, self.name) for a in args])

    def on_arrays(self, *xs: Any) -> Any:
        """The op element-wise on numpy arrays (broadcast together), with IEEE
        semantics: out-of-domain elements give nan or inf for the caller to check.
        Uses ``array_forward`` if the op has one, else ``forward`` element by element."""
        import numpy

        if self.array_forward is not None:
            return self.array_forward(*xs)
        return numpy.frompyfunc(self.forward, self.arity, 1)(*xs).astype(float)

    def evaluate(self, *xs: float) -> float:
        """Run the forward on floats, turning any failure or non-finite result
        into an exception that names this op and its operands."""
        try:
            result = self.forward(*xs)
        except (ArithmeticError, ValueError) as error:
            raise _named(error, self, xs) from None
        if type(result) is not float or result - result != 0.0:
            result = _checked(result, self, xs)
        return result

    def apply(self, *children: Value) -> Value:
        """Apply the op to ``Value`` nodes and return the new node (a plain
        leaf inside ``no_grad``)."""
        constant = all(type(c) is Constant for c in children)
        return new_node(self.evaluate(*[c._data for c in children]), children, self, constant)

    # The two hot paths of the engine: every Value operator lands in one.

    def unary(self, x: Value) -> Value:
        """``apply`` for one operand, without the generic argument handling."""
        data = x._data
        try:
            result = self.forward(data)
        except (ArithmeticError, ValueError) as error:
            raise _named(error, self, (data,)) from None
        if type(result) is not float or result - result != 0.0:
            result = _checked(result, self, (data,))
        return new_node(result, (x,), self, type(x) is Constant)

    def binary(self, a: Value, b: Value) -> Value:
        """``apply`` for two operands, without the generic argument handling."""
        xa, xb = a._data, b._data
        try:
            result = self.forward(xa, xb)
        except (ArithmeticError, ValueError) as error:
            raise _named(error, self, (xa, xb)) from None
        if type(result) is not float or result - result != 0.0:
            result = _checked(result, self, (xa, xb))
        return new_node(result, (a, b), self, type(a) is Constant and type(b) is Constant)


def _is_array(x: Any) -> bool:
    """Whether ``x`` is a numpy array (if numpy is not loaded, nothing is one)."""
    numpy = sys.modules.get("numpy")
    return numpy is not None and isinstance(x, numpy.ndarray)


def new_node(data: float, children: tuple[Value, ...], fn: Op, constant: bool) -> Value:
    """A node holding ``data`` that ``fn`` made from ``children``.

    A plain leaf when recording is off (``no_grad``); a :class:`Constant`
    when every input is a ``constant``, so that numbers stay numbers (the
    ``2 - 1`` inside a derivative of ``x ** 2`` is no variable to
    differentiate by)."""
    recording, scope = STATE.get()
    node = _new_value(Constant if constant else Value)
    node._data = data
    node._grad = 0.0
    if recording and not constant:
        node._children = children
        node._fn = fn
    else:
        node._children = ()
        node._fn = None
    node.label = ""
    node._scope = scope
    node._id = next_id()
    return node


def drawn_only(symbol: str) -> Op:
    """A placeholder op for nodes built by hand as ``Value(x, children, '+')``:
    it gives the drawing its symbol but passes no gradient (as in micrograd)."""
    return Op(symbol, _not_computable, (), symbol)


def _not_computable(*xs: float) -> float:
    raise TypeError("this op was only named by hand; it cannot be computed")


def _checked(result: Any, op: Op, xs: tuple[float, ...]) -> float:
    """``result`` as a float, or an error naming the op if it is not finite."""
    result = float(result)
    if not math.isfinite(result):
        kind = OverflowError if math.isinf(result) else ValueError
        raise _named(kind(f"result is {result}"), op, xs)
    return result


_new_value = object.__new__


def define_op(
    name: str,
    forward: Callable[..., float],
    derivatives: Sequence[Derivative],
    symbol: str | None = None,
    *,
    domains: Sequence[Domain] | None = None,
    doc: str | None = None,
    array_forward: Callable[..., Any] | None = None,
) -> Op:
    """Register a new differentiable op and return it as a callable.

    ``forward(*xs)`` computes the value on floats. ``derivatives`` holds one
    function per input giving the partial derivative with respect to that
    input; each receives the same inputs, plus the op's output as a last
    argument if it declares one more parameter. Write derivatives with plain
    arithmetic and glassgrad ops (``engine.ops.exp`` rather than ``math.exp``)
    so they also work on ``Value`` nodes: that is what makes second
    derivatives possible.

    >>> from engine import define_op, Value
    >>> cube = define_op("cube", lambda x: x ** 3, [lambda x: 3 * x ** 2], "³")
    >>> y = cube(Value(2.0)); y.backward(); y.data
    8.0

    The op is then drawn with ``symbol`` (default: its name) and covered by
    the property tests like a built-in one. ``domains`` optionally says where
    each input may be sampled for such tests (see :class:`Domain`).
    ``array_forward`` optionally computes the same function element-wise on
    numpy arrays; batched mode (:mod:`engine.batch`) uses it and otherwise
    calls ``forward`` once per element.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"define_op: name must be an identifier, got {name!r}")
    if name in REGISTRY:
        raise ValueError(
            f"define_op: an op named {name!r} already exists; pick another name, or "
            f"`del engine.REGISTRY[{name!r}]` first to redefine your own op"
        )
    if not callable(forward):
        raise TypeError(f"define_op({name!r}): forward must be callable, got {forward!r}")
    derivatives = tuple(derivatives)
    if not derivatives or not all(callable(d) or _is_number(d) for d in derivatives):
        raise TypeError(
            f"define_op({name!r}): derivatives must be a non-empty list of callables or numbers"
        )
    if array_forward is not None and not callable(array_forward):
        raise TypeError(
            f"define_op({name!r}): array_forward must be callable, got {array_forward!r}"
        )
    if domains is not None and len(domains) != len(derivatives):
        raise ValueError(
            f"define_op({name!r}): {len(derivatives)} derivatives but {len(domains)} domains"
        )
    op = Op(name, forward, derivatives, symbol, domains, doc, array_forward)
    REGISTRY[name] = op
    return op


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _takes_output(derivative: Derivative, arity: int, name: str) -> bool | None:
    """Whether a derivative wants the op's output as an extra last argument;
    None when it is a constant rather than a function."""
    if not callable(derivative):
        return None
    try:
        params = inspect.signature(derivative).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature
        return False
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if any(p.kind == p.VAR_POSITIONAL for p in params):
        return False
    if len(positional) not in (arity, arity + 1):
        raise TypeError(
            f"define_op({name!r}): each derivative takes the {arity} input(s), "
            f"optionally followed by the output; got one taking {len(positional)}"
        )
    return len(positional) == arity + 1


def _named(error: BaseException, op: Op, xs: tuple[float, ...]) -> BaseException:
    """Re-create ``error`` with a message naming the op and its operands."""
    operands = ", ".join(repr(x) for x in xs)
    message = _MATH_MESSAGES.get(str(error), str(error))
    return type(error)(f"{op.name}({operands}): {message}")


_MATH_MESSAGES = {
    "math range error": "result is too large for a float",
    "math domain error": "input is outside the op's domain",
}
