"""The op registry: every differentiable operation is declared here once.

An :class:`Op` holds the facts about an operation that the rest of
glassgrad needs, and nothing else reads them from anywhere else:

* ``forward`` — the value, computed on plain floats;
* ``derivatives`` — one local partial derivative per input, written with
  ordinary arithmetic and other ops, so the very same expression runs on
  floats (a fast backward pass) and on ``Value`` nodes (differentiable
  gradients, hence second derivatives);
* ``symbol`` — how drawings label the op;
* ``affine`` — declared, never inferred: whether the op is an affine map of
  its inputs (batched mode may fuse only those);
* ``domains`` — where each input may be sampled so that the op is smooth
  there (property tests and hypothesis strategies).

The derivative calling convention is normalised once, here: a derivative is
a constant, a function of the inputs, or a function of the inputs and the
output. :meth:`Op.local` applies it, and the hot paths (:meth:`Op.push` for
backward, :meth:`Op.binary`/:meth:`Op.unary` and ``Value``'s operators for
forward) are generated from the same convention by :func:`_derivative_source`.
"""

from __future__ import annotations

import inspect
import math
import numbers
import operator
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from engine.checks import cut, listed, short_repr, to_float_array
from engine.mode import STATE
from engine.value import Constant, Value, as_operand, fill, next_id, node_source, to_float

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

    def __post_init__(self) -> None:
        for bound in (self.low, self.high):
            if isinstance(bound, bool) or not isinstance(bound, numbers.Real) or bound != bound:
                raise TypeError(
                    f"Domain: low and high must be real numbers, got {short_repr(bound)}")
        if not self.low < self.high:
            raise ValueError(
                f"Domain: low must be below high, got low={self.low}, high={self.high}")
        if not isinstance(self.avoid, tuple):
            raise TypeError(
                f"Domain: avoid must be a tuple of numbers, got {short_repr(self.avoid)}")
        for point in self.avoid:
            to_float(point, "Domain: avoid")


REGISTRY: dict[str, Op] = {}
"""Every defined op by name, built-in and user-defined, in definition order."""


class Op:
    """One differentiable operation. Create them with :func:`define_op`."""

    __slots__ = (
        "_locals",
        "affine",
        "arity",
        "array_forward",
        "binary",
        "derivatives",
        "doc",
        "domains",
        "forward",
        "name",
        "push",
        "symbol",
        "takes_output",
        "unary",
    )

    binary: Callable[[Value, Value], Value]
    unary: Callable[[Value], Value]
    push: Callable[[Value, float], None]

    def __init__(
        self,
        name: str,
        forward: Callable[..., float],
        derivatives: Sequence[Derivative],
        symbol: str | None = None,
        domains: Sequence[Domain] | None = None,
        doc: str | None = None,
        array_forward: Callable[..., Any] | None = None,
        affine: bool = False,
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
        self.affine = affine
        self._locals = tuple(
            _compile(f"lambda xs, out: {_derivative_source(i, t, '*xs')}", self)
            for i, t in enumerate(self.takes_output)
        )
        self.push = _compile_push(self)
        self.unary = _compile_apply(self, 1)
        self.binary = _compile_apply(self, 2)

    def __repr__(self) -> str:
        return f"<op {self.name} ({self.symbol}), {self.arity} input(s)>"

    def __reduce__(self) -> tuple[Any, ...]:
        """Ops pickle by name: the registry (or the hand-drawn symbol) gives them back."""
        if REGISTRY.get(self.name) is self:
            return (_registered, (self.name,))
        return (drawn_only, (self.symbol,))

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
        Batched mode relies on it: derivatives written with ops (``sin``'s is
        ``cos(x)``) then run on arrays as written. Uses ``array_forward`` if the op
        has one, else ``forward`` element by element."""
        import numpy

        xs = tuple(to_float_array(x, f"{self.name}: inputs") for x in xs)
        if self.array_forward is not None:
            return self.array_forward(*xs)
        return numpy.frompyfunc(self.forward, self.arity, 1)(*xs).astype(float)

    def local(self, i: int, xs: Sequence[Any], out: Any) -> Any:
        """The local derivative with respect to input ``i`` at inputs ``xs`` and
        output ``out`` (floats, or ``Value`` nodes for differentiable gradients)."""
        return self._locals[i](xs, out)

    def evaluate(self, *xs: float) -> float:
        """Run the forward on floats, turning any failure or non-finite result
        into an exception that names this op and its operands."""
        try:
            result = self.forward(*xs)
        except Exception as error:
            raise _named(error, self, xs) from error
        if type(result) is not float or result - result != 0.0:
            result = _checked(result, self, xs)
        return result

    def apply(self, *children: Value) -> Value:
        """Apply the op to ``Value`` nodes and return the new node (a plain
        leaf inside ``no_grad``)."""
        data = self.evaluate(*[c._data for c in children])
        recording, scope = STATE.get()
        if all(type(c) is Constant for c in children):
            return fill(_new(Constant), data, (), None, "", scope)
        if recording:
            return fill(_new(Value), data, children, self, "", scope)
        return fill(_new(Value), data, (), None, "", scope)


_new = object.__new__


def _is_array(x: Any) -> bool:
    """Whether ``x`` is a numpy array (if numpy is not loaded, nothing is one)."""
    numpy = sys.modules.get("numpy")
    return numpy is not None and isinstance(x, numpy.ndarray)


def _derivative_source(i: int, takes_output: bool | None, inputs: str) -> str:
    """THE derivative calling convention, as a Python expression: derivative
    ``d{i}`` is a constant, ``d{i}(inputs)`` or ``d{i}(inputs, out)``."""
    if takes_output is None:
        return f"d{i}"
    return f"d{i}({inputs}, out)" if takes_output else f"d{i}({inputs})"


def _compile(source: str, op: Op) -> Any:
    """Evaluate generated ``source`` (a lambda or a def named ``generated``)
    with the op's derivatives, forward and the engine's helpers in scope."""
    scope: dict[str, Any] = {f"d{i}": d for i, d in enumerate(op.derivatives)}
    scope.update(op=op, forward=op.forward, Constant=Constant, Value=Value, fill=fill,
                 new=_new, as_operand=as_operand, get_state=STATE.get, checked=_checked,
                 named=_named, bad_gradient=_bad_gradient, derivative_error=_derivative_error,
                 real_local=_real_local, next_id=next_id)
    if source.startswith("lambda"):
        return eval(source, scope)  # our own generated code
    exec(source, scope)
    return scope["generated"]


def _compile_push(op: Op) -> Callable[[Value, float], None]:
    """Backward through one node of ``op``: add ``g`` times each local derivative
    into the inputs' ``.grad`` (constants skipped), refusing a gradient that is
    not a finite float. Generated per op, so there is no branching on arity or
    on the derivative convention at run time."""
    n = op.arity
    if n == 0:  # a hand-drawn op passes no gradient
        return _compile("lambda node, g: None", op)
    xs = ", ".join(f"x{i}" for i in range(n))
    lines = ["def generated(node, g):", "    if g == 0.0:", "        return",
             f"    {', '.join(f'c{i}' for i in range(n))}, = node._children"]
    if any(t is not None for t in op.takes_output):
        lines += [f"    x{i} = c{i}._data" for i in range(n)]
    if any(op.takes_output):
        lines.append("    out = node._data")
    for i, t in enumerate(op.takes_output):
        lines.append(f"    if type(c{i}) is not Constant:")
        local = _derivative_source(i, t, xs)
        if t is None and op.derivatives[i] == 1.0:
            lines.append(f"        total = c{i}._grad + g")
        elif t is None and op.derivatives[i] == -1.0:
            lines.append(f"        total = c{i}._grad - g")
        elif t is None:
            lines.append(f"        total = c{i}._grad + g * {local}")
        else:
            lines += ["        try:", f"            local = {local}",
                      "        except Exception as error:",
                      "            raise derivative_error(error, node) from error",
                      "        if type(local) is not float:",
                      f"            local = real_local(local, node, {i})",
                      f"        total = c{i}._grad + g * local"]
        lines += ["        if total - total != 0.0:  # floats only reach here: check finiteness",
                  f"            total = bad_gradient(node, {i}, total)",
                  f"        c{i}._grad = total"]
    return _compile("\n".join(lines), op)


_INLINE_FORWARDS: dict[Any, str] = {
    operator.add: "x0 + x1",
    operator.sub: "x0 - x1",
    operator.mul: "x0 * x1",
    operator.neg: "-x0",
}
"""Forwards that are Python operators, written inline in generated code (a
call saved per node); any other forward is called."""


def _compile_forward(op: Op, params: str, prologue: str = "") -> Callable[..., Value]:
    """A function of ``params`` applying ``op`` to ``Value`` nodes ``c0, c1, ...``
    (which ``prologue`` may make from the params): the forward on their data,
    checked to be a finite float, and the new node. Generated per op, with the
    forward and the node constructor inlined, because every ``Value``
    operator lands here."""
    n = op.arity
    names = ", ".join(f"c{i}" for i in range(n))
    xs = ", ".join(f"x{i}" for i in range(n))
    constant = " and ".join(f"type(c{i}) is Constant" for i in range(n))
    inline = _INLINE_FORWARDS.get(op.forward) if n <= 2 else None
    # an operator on floats gives a float: only its finiteness needs checking
    bad = "result - result != 0.0"
    if not inline:
        bad = f"type(result) is not float or {bad}"
    build = node_source("node", "result", f"({names},)", "op", "''", "scope")
    lines = [f"def generated({params}):", *prologue.splitlines(),
             *[f"    x{i} = c{i}._data" for i in range(n)],
             "    try:",
             f"        result = {inline or f'forward({xs})'}",
             "    except Exception as error:",
             f"        raise named(error, op, ({xs},)) from error",
             f"    if {bad}:",
             f"        result = checked(result, op, ({xs},))",
             "    recording, scope = get_state()",
             f"    if {constant}:",
             "        return fill(new(Constant), result, (), None, '', scope)",
             "    if not recording:",
             "        return fill(new(Value), result, (), None, '', scope)",
             "    node = new(Value)",
             *[f"    {line}" for line in build.splitlines()],
             "    return node"]
    return _compile("\n".join(lines), op)


def _compile_apply(op: Op, arity: int) -> Callable[..., Value]:
    """``op`` on ``arity`` nodes: generated for the op's own arity, else a
    function that raises the usual arity error."""
    names = ", ".join(f"c{i}" for i in range(arity))
    if arity != op.arity:
        return _compile(f"lambda {names}: op({names})", op)
    return _compile_forward(op, names)


def operator_method(op: Op, reflected: bool = False) -> Callable[..., Value]:
    """A ``Value`` method applying ``op`` to ``self`` (and ``other``, made a
    :class:`Constant` if it is a plain number; ``reflected`` swaps the two, as
    in ``__radd__``), generated with the forward inlined."""
    if op.arity == 1:
        method = _compile_forward(op, "self", "    c0 = self")
    else:
        prologue = (f"    if not isinstance(other, Value):\n"
                    f"        other = as_operand(other, {op.name!r})\n"
                    f"    {'c1, c0' if reflected else 'c0, c1'} = self, other")
        method = _compile_forward(op, "self, other", prologue)
    method.__doc__ = op.doc
    return method


def drawn_only(symbol: str) -> Op:
    """A placeholder op for nodes built by hand as ``Value(x, children, '+')``:
    it gives the drawing its symbol but passes no gradient (as in micrograd)."""
    return Op(symbol, _not_computable, (), symbol)


def _not_computable(*xs: float) -> float:
    raise TypeError("this op was only named by hand; it cannot be computed")


def _registered(name: str) -> Op:
    """The op named ``name`` in the registry (how pickled ops come back)."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(
            f"unpickling: no op named {name!r} is defined; define it (define_op) before loading"
        ) from None


def _operands(xs: Sequence[Any]) -> str:
    return ", ".join(short_repr(x) for x in xs)


def _checked(result: Any, op: Op, xs: Sequence[float]) -> float:
    """``result`` as a float, or an error naming the op if it is not a finite
    real number (strings, bools, complex numbers and ``Value`` nodes are refused)."""
    if isinstance(result, bool) or not isinstance(result, numbers.Real):
        raise TypeError(
            f"{op.name}({_operands(xs)}): forward returned {type(result).__name__} "
            f"{short_repr(result)}, expected a real number")
    try:
        value = float(result)
    except OverflowError:
        raise OverflowError(
            f"{op.name}({_operands(xs)}): result is too large for a float") from None
    if not math.isfinite(value):
        kind = OverflowError if math.isinf(value) else ValueError
        raise kind(f"{op.name}({_operands(xs)}): result is {value}")
    return value


def _bad_gradient(node: Value, i: int, total: Any) -> float:
    """Raise for a gradient contribution that is not a finite float, naming the op."""
    where = _where(node)
    if isinstance(total, float):
        raise GradientOverflow(f"gradient through {where} overflowed to {total}")
    raise TypeError(
        f"{where}: derivative {i} gave {type(total).__name__} {short_repr(total)}, "
        "expected a real number")


def _real_local(local: Any, node: Value, i: int) -> float:
    """A local derivative that is not a float, as a float: any real number but a
    bool is taken; anything else (complex, str, None, a ``Value``...) raises a
    ``TypeError`` naming the op, its operands and what the derivative gave."""
    if isinstance(local, numbers.Real) and not isinstance(local, bool):
        try:
            return float(local)
        except OverflowError:
            raise GradientOverflow(
                f"{_where(node)}: derivative {i} gave {short_repr(local)}, "
                "too large for a float") from None
    raise TypeError(f"{_where(node)}: derivative {i} gave {type(local).__name__} "
                    f"{short_repr(local)}, expected a real number")


def _where(node: Value) -> str:
    """``op(operands)`` for error messages about the node ``node``."""
    op = node._fn
    assert op is not None
    return f"{op.name}({_operands([c._data for c in node._children])})"


class GradientOverflow(OverflowError):
    """A gradient that would no longer be a finite float."""


def _derivative_error(error: BaseException, node: Value) -> BaseException:
    """``error`` from a derivative, re-made to name the op and its operands."""
    return _same_kind(error, f"{_where(node)}: derivative failed: {cut(str(error), 200)}")


def _named(error: BaseException, op: Op, xs: Sequence[Any]) -> BaseException:
    """Re-create ``error`` with a message naming the op and its operands."""
    message = cut(_MATH_MESSAGES.get(str(error), str(error)), 200)
    return _same_kind(error, f"{op.name}({_operands(xs)}): {message}")


def _same_kind(error: BaseException, message: str) -> BaseException:
    """An exception of ``error``'s type carrying ``message`` (a RuntimeError if
    that type cannot be made from one message)."""
    try:
        return type(error)(message)
    except Exception:
        return RuntimeError(f"{message} ({type(error).__name__})")


_MATH_MESSAGES = {
    "math range error": "result is too large for a float",
    "math domain error": "input is outside the op's domain",
}


def define_op(
    name: str,
    forward: Callable[..., float],
    derivatives: Sequence[Derivative],
    symbol: str | None = None,
    *,
    domains: Sequence[Domain] | None = None,
    doc: str | None = None,
    array_forward: Callable[..., Any] | None = None,
    affine: bool = False,
) -> Op:
    """Register a new differentiable op and return it as a callable.

    ``forward(*xs)`` computes the value on floats. ``derivatives`` holds one
    entry per input giving the partial derivative with respect to that
    input: a number (a constant derivative), or a function that receives the
    same inputs, plus the op's output as a last argument if it declares one
    more parameter. Write derivatives with plain arithmetic and glassgrad ops
    (``engine.ops.exp`` rather than ``math.exp``) so they also work on
    ``Value`` nodes: that is what makes second derivatives possible.

    >>> from engine import define_op, Value
    >>> cube = define_op("cube", lambda x: x ** 3, [lambda x: 3 * x ** 2], "³")
    >>> y = cube(Value(2.0)); y.backward(); y.data
    8.0

    The op is then drawn with ``symbol`` (default: its name) and covered by
    the property tests like a built-in one. ``domains`` optionally says where
    each input may be sampled for such tests (see :class:`Domain`).
    ``array_forward`` optionally computes the same function element-wise on
    numpy arrays; batched mode (:mod:`engine.batch`) uses it and otherwise
    calls ``forward`` once per element. ``affine=True`` declares the op an
    affine map of its inputs (like ``add`` or ``mul`` by a constant), which
    lets batched mode fuse it; constant derivatives alone do not make an op
    affine (a straight-through rounding op has derivative 1 but is not).
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"define_op: name must be an identifier, got {short_repr(name)}")
    if name in REGISTRY:
        raise ValueError(
            f"define_op: an op named {name!r} already exists; pick another name, or "
            f"`del engine.REGISTRY[{name!r}]` first to redefine your own op"
        )
    where = f"define_op({short_repr(name)})"
    if not callable(forward):
        raise TypeError(f"{where}: forward must be callable, got {short_repr(forward)}")
    derivatives = tuple(listed(derivatives, f"{where}: derivatives"))
    if not derivatives or not all(callable(d) or _is_number(d) for d in derivatives):
        raise TypeError(f"{where}: derivatives must be a non-empty list of callables or numbers")
    _check_forward_arity(forward, len(derivatives), where)
    if array_forward is not None and not callable(array_forward):
        raise TypeError(f"{where}: array_forward must be callable, got {short_repr(array_forward)}")
    if domains is not None:
        if isinstance(domains, Domain) or not isinstance(domains, Sequence):
            raise TypeError(f"{where}: domains must be a list with one Domain per input, "
                            f"got {short_repr(domains)}")
        if len(domains) != len(derivatives):
            raise ValueError(f"{where}: {len(derivatives)} derivatives but {len(domains)} domains")
        for domain in domains:
            if not isinstance(domain, Domain):
                raise TypeError(f"{where}: each domain must be an engine.Domain, "
                                f"got {short_repr(domain)}")
    if not isinstance(affine, bool):
        raise TypeError(f"{where}: affine must be True or False, got {short_repr(affine)}")
    op = Op(name, forward, derivatives, symbol, domains, doc, array_forward, affine)
    REGISTRY[name] = op
    return op


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _check_forward_arity(forward: Callable[..., Any], arity: int, where: str) -> None:
    """Refuse a forward that cannot take one argument per derivative."""
    try:
        signature = inspect.signature(forward)
    except (TypeError, ValueError):  # builtins without a signature
        return
    try:
        signature.bind(*([0.0] * arity))
    except TypeError:
        raise TypeError(
            f"{where}: {arity} derivative(s), so forward must take {arity} input(s); "
            f"its signature is {signature}") from None


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
