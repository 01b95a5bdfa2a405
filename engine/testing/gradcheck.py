"""Check the engine's derivatives against numeric ones.

``gradcheck`` compares first derivatives, ``gradgradcheck`` second ones
(the Hessian that ``engine.grad(..., create_graph=True)`` builds). Both work
in float64, which is what a Python float is.

The numeric side (:mod:`engine.testing.differences`) is not one central
difference with a fixed step but Ridders' method: central differences over
steps that start at ``eps * max(|x|, 1)`` (relative to each input's scale)
and halve, combined by Richardson extrapolation, which also estimates its own
error. So ``x * 1.0`` at 1e15, ``x * x`` at 1e10, ``log`` at 1e-5 and
``tanh(1e6 * x)`` at 0 all get numeric derivatives good to ~1e-8 or better,
where a fixed step of 1e-6 is off by 10% to 100%.

Why the tolerances (``atol=1e-5, rtol=1e-3``, a derivative passes if
``|analytic - numeric| <= atol + rtol * |numeric|``): they are the defaults
of ``torch.autograd.gradcheck`` in double precision, so a check that passes
there passes here. The extrapolated numeric value is refined until its own
error estimate is below 1% of that allowance, so the numeric side uses up
almost none of it, while a derivative wrong by 1% (ten times ``rtol``) fails
wherever it is not smaller than about ``atol / 0.009``. Where the numeric
estimate cannot get that good, the failure says why: the point is near a
kink or edge of an op's :class:`engine.Domain` (``relu`` at 0), or so close
to the limits of float64 that rounding alone swamps the difference (``|f|``
huge compared with how much ``f`` changes over any usable step).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from engine.autograd import grad, topological_order
from engine.checks import cut, short_repr
from engine.mode import enable_grad, no_grad
from engine.op import Op, _same_kind
from engine.testing.differences import Estimate, NoStep, derivative
from engine.value import Constant, Value, to_float

__all__ = ["gradcheck", "gradcheck_parameters", "gradgradcheck", "numeric_gradient"]

Function = Callable[..., Value]
"""A scalar function of ``Value`` arguments: ``f(*values) -> Value``."""

Inputs = Sequence[float | Value] | float | Value
"""The point to check at: numbers or ``Value`` nodes (only their data is used)."""

FIRST_STEP = 1e-3
"""The default first step of the numeric side, relative to ``max(|x|, 1)``."""

def gradcheck(
    f: Function,
    inputs: Inputs,
    *,
    eps: float = FIRST_STEP,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """Check ``f``'s gradient from ``engine.grad`` against numeric derivatives.

    ``f(*values)`` must return a ``Value`` computed from its arguments;
    ``inputs`` is the point (a number, a ``Value``, or a sequence of them;
    fresh leaves are made from it, so the given Values' ``.grad`` is left
    alone). Each partial derivative must satisfy
    ``|analytic - numeric| <= atol + rtol * |numeric|``; the numeric one comes
    from central differences with steps from ``eps * max(|x|, 1)`` down,
    Richardson-extrapolated (see the module docstring for why).

    Returns True, or raises ``AssertionError`` naming the input, both values,
    the errors, the tolerances, the point, the op in the graph whose own
    derivative disagrees with finite differences when there is one, and a
    note when the point is near a kink or the edge of float precision.

    >>> gradcheck(lambda x, y: x * y.exp(), [1.5, -0.5])
    True
    """
    __tracebackhide__ = True  # pytest shows the caller's line, not ours
    point, names = _arguments("gradcheck", f, inputs, eps, atol, rtol)
    _check_first_order("gradcheck", f, point, names, _Tolerance(eps, atol, rtol))
    return True


def gradgradcheck(
    f: Function,
    inputs: Inputs,
    *,
    eps: float = FIRST_STEP,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """Check ``f``'s first and second derivatives against numeric ones.

    First checks the gradient as :func:`gradcheck` does (second derivatives
    alone would miss a wrong first derivative: it is differentiated
    consistently). Then builds the Hessian by differentiating
    ``engine.grad(..., create_graph=True)`` once more, and compares each entry
    with numeric derivatives of the analytic gradient. Same arguments,
    tolerances and errors as :func:`gradcheck`; a derivative that cannot run
    on ``Value`` nodes (written with ``math.exp`` rather than
    ``engine.ops.exp``) raises ``TypeError`` naming its op.

    >>> gradgradcheck(lambda x, y: (x * y).sin(), [0.3, 2.0])
    True
    """
    __tracebackhide__ = True  # pytest shows the caller's line, not ours
    point, names = _arguments("gradgradcheck", f, inputs, eps, atol, rtol)
    tolerance = _Tolerance(eps, atol, rtol)
    _check_first_order("gradgradcheck", f, point, names, tolerance)
    mismatch, output = _second_order_mismatch(f, point, names, tolerance)
    if mismatch is not None:
        culprit = _culprit(output, tolerance, second_order=True)
        raise AssertionError(_report("gradgradcheck", f, mismatch, point, names, tolerance,
                                     culprit))
    return True


def gradcheck_parameters(
    loss: Callable[[], Value],
    parameters: Mapping[str, Value] | Iterable[Value],
    *,
    eps: float = FIRST_STEP,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """:func:`gradcheck` for a loss that reads its parameters from a model
    rather than from arguments: ``loss()`` rebuilds the loss from the current
    ``.data`` of ``parameters`` (Values, or a mapping name -> Value such as
    ``dict(model.named_parameters())``, whose names the message then uses).

    The numeric side moves each parameter's ``.data`` in place and always
    puts it back; ``.grad`` fields are left alone. Same tolerances, return
    value and errors as :func:`gradcheck`.

    >>> from engine import Value
    >>> w, b = Value(0.5, label="w"), Value(-1.0, label="b")
    >>> gradcheck_parameters(lambda: (w * 3.0 + b).tanh(), [w, b])
    True
    """
    __tracebackhide__ = True  # pytest shows the caller's line, not ours
    where = "gradcheck_parameters"
    named = _named_parameters(where, parameters)
    _arguments(where, loss, [p for _, p in named], eps, atol, rtol)
    tolerance = _Tolerance(eps, atol, rtol)
    with enable_grad():
        output = _call(loss, [], where)
        analytic = [g.data for g in grad(output, [p for _, p in named])]
    for (name, p), a in zip(named, analytic):
        n = _numeric_partial(where, loss, name, p, tolerance)
        if not tolerance.close(a, n.value):
            culprit = _culprit(output, tolerance, second_order=False)
            mismatch = _Mismatch(f"d(loss)/d({name})", a, n)
            raise AssertionError(_report(where, loss, mismatch, [p.data], [name], tolerance,
                                         culprit))
    return True


def numeric_gradient(f: Function, inputs: Inputs, *, eps: float = FIRST_STEP) -> list[float]:
    """The gradient of ``f`` at ``inputs`` by Richardson-extrapolated central
    differences (float64), steps starting at ``eps * max(|x|, 1)`` for each
    input; refined until each entry's error estimate is about 1e-10 relative.

    Evaluates ``f`` under ``no_grad``. Raises ``ValueError`` naming the input
    if ``f`` cannot be evaluated at any step around the point.

    >>> [round(g, 9) for g in numeric_gradient(lambda x, y: x * y, [2.0, 3.0])]
    [3.0, 2.0]
    """
    point, names = _arguments("numeric_gradient", f, inputs, eps, 0.0, 0.0)
    tolerance = _Tolerance(eps, 1e-8, 1e-8)
    return [e.value for e in _numeric_gradient("numeric_gradient", f, point, names, tolerance)]


# -- the comparisons ----------------------------------------------------------


class _Tolerance(NamedTuple):
    """The first step of the numeric side and the pass rule."""

    eps: float
    atol: float
    rtol: float

    def allowed(self, numeric: float) -> float:
        """The largest difference from ``numeric`` that passes."""
        return self.atol + self.rtol * abs(numeric)

    def close(self, analytic: float, numeric: float) -> bool:
        """torch's rule: |analytic - numeric| <= atol + rtol * |numeric|."""
        return abs(analytic - numeric) <= self.allowed(numeric)


class _Mismatch(NamedTuple):
    """One derivative that disagrees with its numeric estimate."""

    what: str  # "d(f)/d(x0)" or "d²(f)/d(x0)d(x1)"
    analytic: float
    numeric: Estimate


def _check_first_order(
    where: str, f: Function, point: list[float], names: list[str], tolerance: _Tolerance
) -> None:
    """Raise the AssertionError of gradcheck if any partial derivative is off."""
    __tracebackhide__ = True
    mismatch, output = _first_order_mismatch(where, f, point, names, tolerance)
    if mismatch is not None:
        culprit = _culprit(output, tolerance, second_order=False)
        raise AssertionError(_report(where, f, mismatch, point, names, tolerance, culprit))


def _first_order_mismatch(
    where: str, f: Function, point: list[float], names: list[str], tolerance: _Tolerance
) -> tuple[_Mismatch | None, Value]:
    """The first partial derivative from engine.grad that disagrees with its
    numeric estimate (None if all agree), and f's output node."""
    analytic, output = _analytic_gradient(f, point, where)
    numeric = _numeric_gradient(where, f, point, names, tolerance)
    for name, a, n in zip(names, analytic, numeric):
        if not tolerance.close(a, n.value):
            return _Mismatch(f"d(f)/d({name})", a, n), output
    return None, output


def _second_order_mismatch(
    f: Function, point: list[float], names: list[str], tolerance: _Tolerance
) -> tuple[_Mismatch | None, Value]:
    """The first Hessian entry that disagrees with numeric derivatives of the
    analytic gradient (None if all agree), and f's output node."""
    hessian, output = _analytic_hessian(f, point)
    for j in range(len(point)):

        def gradient_along(t: float, j: int = j) -> list[float]:
            return _analytic_gradient(f, _moved(point, j, t), "gradgradcheck")[0]

        column = _estimate("gradgradcheck", names, j, tolerance, point[j], gradient_along)
        for i, numeric in enumerate(column):
            if not tolerance.close(hessian[i][j], numeric.value):
                what = f"d²(f)/d({names[i]})d({names[j]})"
                return _Mismatch(what, hessian[i][j], numeric), output
    return None, output


def _numeric_gradient(
    where: str, f: Function, point: list[float], names: list[str], tolerance: _Tolerance
) -> list[Estimate]:
    """Numeric estimates of f's partial derivatives along each input."""
    estimates = []
    for i in range(len(point)):

        def value_along(t: float, i: int = i) -> list[float]:
            with no_grad():
                return [_call(f, [Value(x) for x in _moved(point, i, t)], where).data]

        estimates.append(_estimate(where, names, i, tolerance, point[i], value_along)[0])
    return estimates


def _estimate(
    where: str, names: list[str], i: int, tolerance: _Tolerance, x: float,
    along: Callable[[float], list[float]],
) -> list[Estimate]:
    """Numeric derivatives of ``along`` (a vector function of input i) at x."""
    try:
        return derivative(along, x, tolerance.eps, tolerance.allowed)
    except NoStep as failed:
        raise ValueError(
            f"{where}: f cannot be evaluated at {names[i]} {failed.sign} h for any step h "
            f"from {failed.first:.3g} down to {failed.last:.3g} around {names[i]}={x!r} "
            f"({short_repr(str(failed.cause), 120)}); check at a point inside f's domain"
        ) from None


def _moved(point: list[float], i: int, t: float) -> list[float]:
    """``point`` with coordinate i set to t."""
    moved = list(point)
    moved[i] = t
    return moved


def _named_parameters(
    where: str, parameters: Mapping[str, Value] | Iterable[Value]
) -> list[tuple[str, Value]]:
    """(name, parameter) pairs: mapping keys, else labels or positions."""
    if isinstance(parameters, Mapping):
        named = [(cut(str(name)), p) for name, p in parameters.items()]
    else:
        named = [(getattr(p, "label", "") or f"parameters[{i}]", p)
                 for i, p in enumerate(parameters)]
    for name, p in named:
        if not isinstance(p, Value) or isinstance(p, Constant):
            raise TypeError(f"{where}: {cut(name)} must be a Value (not a Constant), "
                            f"got {short_repr(p)}")
    return named


def _numeric_partial(
    where: str, loss: Callable[[], Value], name: str, p: Value, tolerance: _Tolerance
) -> Estimate:
    """d loss / d p numerically, moving p.data in place and back."""
    start = p.data

    def at(t: float) -> list[float]:
        p.data = t
        with no_grad():
            return [_call(loss, [], where).data]

    try:
        return _estimate(where, [name], 0, tolerance, start, at)[0]
    finally:
        p.data = start


# -- the two sides of the comparison ------------------------------------------


def _analytic_gradient(f: Function, point: list[float], where: str) -> tuple[list[float], Value]:
    """engine.grad of f at point, and f's output node (recording forced on)."""
    with enable_grad():
        leaves = [Value(x) for x in point]
        output = _call(f, leaves, where)
        return [g.data for g in grad(output, leaves)], output


def _analytic_hessian(f: Function, point: list[float]) -> tuple[list[list[float]], Value]:
    """The Hessian of f at point, one row per gradient entry, each built by
    differentiating the ``create_graph=True`` gradient once more."""
    with enable_grad():
        leaves = [Value(x) for x in point]
        output = _call(f, leaves, "gradgradcheck")
        try:
            gradient = grad(output, leaves, create_graph=True)
            rows = [[h.data for h in grad(g, leaves)] for g in gradient]
        except TypeError as error:
            raise TypeError(
                f"gradgradcheck: a derivative failed on Value nodes ({error}); "
                f"{_not_differentiable(output) or 'check the derivatives in the graph of f'}. "
                "Write derivatives with engine ops (engine.ops.exp, not math.exp) "
                "so they can be differentiated again."
            ) from error
    return rows, output


def _call(f: Function, leaves: list[Value], where: str) -> Value:
    """``f(*leaves)``, checked to be a Value; an error it raises is re-raised,
    same type, naming ``where`` and the point."""
    try:
        output = f(*leaves)
    except (TypeError, ValueError, ArithmeticError) as error:
        point = ", ".join(repr(leaf.data) for leaf in leaves)
        raise _same_kind(error, f"{where}: f({point}) failed: {cut(str(error), 200)}") from error
    if not isinstance(output, Value):
        raise TypeError(
            f"{where}: f must return a Value computed from its arguments, "
            f"got {type(output).__name__} {short_repr(output)}"
        )
    return output


# -- finding the op to blame --------------------------------------------------


def _culprit(output: Value, tolerance: _Tolerance, second_order: bool) -> str:
    """Check each op node of f's graph on its own, at its own inputs, and
    describe the first whose derivative disagrees with a trustworthy numeric
    estimate ('' if every op agrees, e.g. when f is only checked too near a
    kink, or only at the edge of float precision)."""
    seen: set[tuple[str, tuple[float, ...]]] = set()
    for node in topological_order(output):
        op = node.op
        xs = [child.data for child in node.children]
        if op is None or (op.name, tuple(xs)) in seen:
            continue
        seen.add((op.name, tuple(xs)))
        names = [f"x{i}" for i in range(len(xs))]
        call = f"{op.name}({', '.join(repr(x) for x in xs)})"
        try:
            mismatch, _ = _first_order_mismatch("gradcheck", op, xs, names, tolerance)
            if mismatch is None and second_order:
                mismatch, _ = _second_order_mismatch(op, xs, names, tolerance)
        except (ArithmeticError, ValueError, TypeError) as error:
            return f"  culprit:   op {op.name!r} at {call}: {error}"
        if mismatch is not None and _trustworthy(mismatch.numeric, tolerance):
            what = mismatch.what.replace("f", op.name, 1)
            return (
                f"  culprit:   op {op.name!r}: at {call} its derivative {what} is "
                f"{mismatch.analytic!r} but finite differences give {mismatch.numeric.value!r}"
                + _near_kink(op, xs, mismatch.numeric.step)
            )
    return ""


def _trustworthy(numeric: Estimate, tolerance: _Tolerance) -> bool:
    """Whether a numeric estimate is good enough to blame an op by (not at
    the edge of float precision, where a correct op would be blamed)."""
    return not _precision_notes(numeric, tolerance.allowed(numeric.value))


def _near_kink(op: Op, xs: list[float], step: float) -> str:
    """A note if an argument of op is within a couple of the numeric steps of a
    kink or edge of its Domain, where finite differences cannot be trusted
    ('' otherwise)."""
    for k, (x, domain) in enumerate(zip(xs, op.domains)):
        for p in (domain.low, domain.high, *domain.avoid):
            if math.isfinite(p) and abs(x - p) <= 2.0 * step:
                return (
                    f"\n  note:      argument {k} of {op.name} is {x!r}, within {2.0 * step:.2g} "
                    f"of {p!r}, a kink or edge of its Domain: finite differences are "
                    "unreliable there; check at another point"
                )
    return ""


def _not_differentiable(output: Value) -> str:
    """Name the op whose derivatives cannot run on Value nodes ('' if none)."""
    for node in topological_order(output):
        op = node.op
        if op is None:
            continue
        children = [Value(c.data) for c in node.children]
        try:
            grad(op(*children), children, create_graph=True)
        except TypeError:
            return f"the derivative of op {op.name!r} does not accept Value nodes"
        except (ArithmeticError, ValueError):
            continue
    return ""


# -- arguments and messages ---------------------------------------------------


def _arguments(
    where: str, f: Any, inputs: Inputs, eps: float, atol: float, rtol: float
) -> tuple[list[float], list[str]]:
    """Validate the arguments; return the point as floats and a name per input."""
    if not callable(f):
        raise TypeError(f"{where}: f must be callable, got {type(f).__name__} {short_repr(f)}")
    for name, value in (("eps", eps), ("atol", atol), ("rtol", rtol)):
        number = to_float(value, f"{where}: {name}")
        if number < 0 or (name == "eps" and number == 0):
            relation = "> 0" if name == "eps" else ">= 0"
            raise ValueError(f"{where}: {name} must be {relation}, got {short_repr(value)}")
    if isinstance(inputs, (Value, int, float)) and not isinstance(inputs, bool):
        inputs = [inputs]
    if isinstance(inputs, (str, bytes)) or not isinstance(inputs, Sequence):
        raise TypeError(
            f"{where}: inputs must be a number, a Value, or a sequence of them, "
            f"got {type(inputs).__name__} {short_repr(inputs)}"
        )
    if not inputs:
        raise ValueError(f"{where}: inputs is empty; f needs at least one argument")
    point, names = [], []
    for i, x in enumerate(inputs):
        if isinstance(x, Value):
            point.append(x.data)
            names.append(cut(x.label, 40) if x.label else f"x{i}")
        else:
            point.append(to_float(x, f"{where}: inputs[{i}]"))
            names.append(f"x{i}")
    return point, names


def _describe(f: Any) -> str:
    """How a message names f: an op's name, a formula, or a function's name."""
    if isinstance(f, Op):
        return f"op {f.name!r}"
    if type(f).__str__ is not object.__str__:
        return cut(str(f), 200)
    return getattr(f, "__qualname__", None) or short_repr(f)


def _format_point(point: list[float], names: list[str]) -> str:
    return ", ".join(f"{n}={x!r}" for n, x in zip(names, point))


def _report(
    where: str, f: Any, mismatch: _Mismatch, point: list[float], names: list[str],
    tolerance: _Tolerance, culprit: str,
) -> str:
    """The AssertionError message: what disagrees, by how much, where, and why."""
    analytic, numeric = mismatch.analytic, mismatch.numeric
    error = abs(analytic - numeric.value)
    relative = error / abs(numeric.value) if numeric.value != 0 else math.inf
    of_gradient = " of the gradient" if mismatch.what.startswith("d²") else ""
    allowed = tolerance.allowed(numeric.value)
    lines = [
        f"{where}: {mismatch.what} disagrees with finite differences{of_gradient}",
        f"  f:         {_describe(f)}",
        f"  at:        {_format_point(point, names)}",
        f"  analytic:  {analytic!r}",
        f"  numeric:   {numeric.value!r}  (Richardson-extrapolated central differences, "
        f"step {numeric.step:.3g}, estimated error {numeric.error:.2g})",
        f"  abs error: {error:.3g}  (atol={tolerance.atol:g})",
        f"  rel error: {relative:.3g}  (rtol={tolerance.rtol:g}; passes if abs error <= "
        f"atol + rtol * |numeric| = {allowed:.3g})",
    ]
    lines += _precision_notes(numeric, allowed)
    if culprit:
        lines.append(culprit)
    return "\n".join(lines)


def _precision_notes(numeric: Estimate, allowed: float) -> list[str]:
    """Say when the numeric side itself cannot be trusted to the tolerance."""
    if numeric.noise > 0.1 * allowed:
        return [
            f"  note:      near the edge of float64 precision: rounding alone makes a "
            f"difference over step {numeric.step:.3g} uncertain by {numeric.noise:.2g} "
            "(f is large compared with how much it changes there); the analytic value "
            "may well be right: try a larger eps"
        ]
    if not numeric.error <= allowed:
        return [
            f"  note:      the finite differences did not settle (their own error estimate, "
            f"{numeric.error:.2g}, exceeds the tolerance): f may have a kink or jump within "
            f"{numeric.step:.3g} of the point, or be too steep for float64 there"
        ]
    return []
