"""Check the engine's derivatives against central finite differences.

``gradcheck`` compares first derivatives, ``gradgradcheck`` second ones
(the Hessian that ``engine.grad(..., create_graph=True)`` builds). Both work
in float64, which is what a Python float is.

Why the defaults (``eps=1e-6, atol=1e-5, rtol=1e-3``): a central difference
``(f(x + eps) - f(x - eps)) / (2 * eps)`` is off by about
``eps**2 * |f'''| / 6`` (truncation) plus ``2**-52 * |f| / eps`` (rounding).
With ``eps = 1e-6`` both terms are around 1e-10 to 1e-12 for functions of
moderate size, far below ``atol = 1e-5`` and ``rtol = 1e-3``, while a wrong
derivative is usually wrong by far more. These are exactly the defaults of
``torch.autograd.gradcheck`` in double precision, so a check that passes
there passes here. ``jax.test_util.check_grads`` steps further
(``eps = 1e-4``, tolerance 1e-5 for float64) but along a single random
direction; HIPS autograd uses the same central difference with ``EPS = 1e-6``.
A point closer than ``eps`` to a kink (``relu`` at 0) or an edge of the
domain (``log`` at 0) makes the finite difference itself wrong: check away
from such points.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from engine.autograd import grad, topological_order
from engine.mode import enable_grad, no_grad
from engine.op import Op
from engine.value import Constant, Value, to_float

__all__ = ["gradcheck", "gradcheck_parameters", "gradgradcheck", "numeric_gradient"]

Function = Callable[..., Value]
"""A scalar function of ``Value`` arguments: ``f(*values) -> Value``."""

Inputs = Sequence[float | Value] | float | Value
"""The point to check at: numbers or ``Value`` nodes (only their data is used)."""


def gradcheck(
    f: Function,
    inputs: Inputs,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """Check ``f``'s gradient from ``engine.grad`` against central differences.

    ``f(*values)`` must return a ``Value`` computed from its arguments;
    ``inputs`` is the point (a number, a ``Value``, or a sequence of them;
    fresh leaves are made from it, so the given Values' ``.grad`` is left
    alone). Each partial derivative must satisfy
    ``|analytic - numeric| <= atol + rtol * |numeric|``.

    Returns True, or raises ``AssertionError`` naming the input, both values,
    the errors, the tolerances, the point, and the op in the graph whose own
    derivative disagrees with finite differences when there is one.

    >>> gradcheck(lambda x, y: x * y.exp(), [1.5, -0.5])
    True
    """
    __tracebackhide__ = True  # pytest shows the caller's line, not ours
    point, names = _arguments("gradcheck", f, inputs, eps, atol, rtol)
    _check_first_order("gradcheck", f, point, names, eps, atol, rtol)
    return True


def gradgradcheck(
    f: Function,
    inputs: Inputs,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """Check ``f``'s first and second derivatives against finite differences.

    First checks the gradient as :func:`gradcheck` does (second derivatives
    alone would miss a wrong first derivative: it is differentiated
    consistently). Then builds the Hessian by differentiating
    ``engine.grad(..., create_graph=True)`` once more, and compares each entry
    with central differences of the analytic gradient. Same arguments,
    tolerances and errors as :func:`gradcheck`; a derivative that cannot run
    on ``Value`` nodes (written with ``math.exp`` rather than
    ``engine.ops.exp``) raises ``TypeError`` naming its op.

    >>> gradgradcheck(lambda x, y: (x * y).sin(), [0.3, 2.0])
    True
    """
    __tracebackhide__ = True  # pytest shows the caller's line, not ours
    point, names = _arguments("gradgradcheck", f, inputs, eps, atol, rtol)
    _check_first_order("gradgradcheck", f, point, names, eps, atol, rtol)
    mismatch, output = _second_order_mismatch(f, point, names, eps, atol, rtol)
    if mismatch is not None:
        culprit = _culprit(output, eps, atol, rtol, second_order=True)
        raise AssertionError(_report("gradgradcheck", f, mismatch, point, names, eps, atol, rtol,
                                     culprit))
    return True


def gradcheck_parameters(
    loss: Callable[[], Value],
    parameters: Mapping[str, Value] | Iterable[Value],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """:func:`gradcheck` for a loss that reads its parameters from a model
    rather than from arguments: ``loss()`` rebuilds the loss from the current
    ``.data`` of ``parameters`` (Values, or a mapping name -> Value such as
    ``dict(model.named_parameters())``, whose names the message then uses).

    The numeric side moves each parameter's ``.data`` by ``±eps`` in place
    and always puts it back; ``.grad`` fields are left alone. Same
    tolerances, return value and errors as :func:`gradcheck`.

    >>> from engine import Value
    >>> w, b = Value(0.5, label="w"), Value(-1.0, label="b")
    >>> gradcheck_parameters(lambda: (w * 3.0 + b).tanh(), [w, b])
    True
    """
    __tracebackhide__ = True  # pytest shows the caller's line, not ours
    where = "gradcheck_parameters"
    named = _named_parameters(where, parameters)
    _arguments(where, loss, [p for _, p in named], eps, atol, rtol)
    with enable_grad():
        output = _call(loss, [], where)
        analytic = [g.data for g in grad(output, [p for _, p in named])]
    for (name, p), a in zip(named, analytic):
        n = _numeric_partial(where, loss, name, p, eps)
        if not _close(a, n, atol, rtol):
            culprit = _culprit(output, eps, atol, rtol, second_order=False)
            mismatch = _Mismatch(f"d(loss)/d({name})", a, n)
            raise AssertionError(
                _report(where, loss, mismatch, [p.data], [name], eps, atol, rtol, culprit)
            )
    return True


def numeric_gradient(f: Function, inputs: Inputs, *, eps: float = 1e-6) -> list[float]:
    """The gradient of ``f`` at ``inputs`` by central differences (float64):
    ``(f(x + eps * e_i) - f(x - eps * e_i)) / (2 * eps)`` for each input.

    Evaluates ``f`` under ``no_grad``. Raises ``ValueError`` naming the input
    if ``f`` cannot be evaluated a step ``eps`` away from the point.

    >>> [round(g, 6) for g in numeric_gradient(lambda x, y: x * y, [2.0, 3.0])]
    [3.0, 2.0]
    """
    point, names = _arguments("numeric_gradient", f, inputs, eps, 0.0, 0.0)
    return _numeric_gradient("numeric_gradient", f, point, names, eps)


# -- the comparisons ----------------------------------------------------------


class _Mismatch(NamedTuple):
    """One derivative that disagrees with its finite difference."""

    what: str  # "d(f)/d(x0)" or "d²(f)/d(x0)d(x1)"
    analytic: float
    numeric: float


def _check_first_order(
    where: str, f: Function, point: list[float], names: list[str],
    eps: float, atol: float, rtol: float,
) -> None:
    """Raise the AssertionError of gradcheck if any partial derivative is off."""
    __tracebackhide__ = True
    mismatch, output = _first_order_mismatch(where, f, point, names, eps, atol, rtol)
    if mismatch is not None:
        culprit = _culprit(output, eps, atol, rtol, second_order=False)
        raise AssertionError(_report(where, f, mismatch, point, names, eps, atol, rtol, culprit))


def _first_order_mismatch(
    where: str, f: Function, point: list[float], names: list[str],
    eps: float, atol: float, rtol: float,
) -> tuple[_Mismatch | None, Value]:
    """The first partial derivative from engine.grad that disagrees with its
    central difference (None if all agree), and f's output node."""
    analytic, output = _analytic_gradient(f, point, where)
    numeric = _numeric_gradient(where, f, point, names, eps)
    for name, a, n in zip(names, analytic, numeric):
        if not _close(a, n, atol, rtol):
            return _Mismatch(f"d(f)/d({name})", a, n), output
    return None, output


def _second_order_mismatch(
    f: Function, point: list[float], names: list[str], eps: float, atol: float, rtol: float
) -> tuple[_Mismatch | None, Value]:
    """The first Hessian entry that disagrees with central differences of the
    analytic gradient (None if all agree), and f's output node."""
    hessian, output = _analytic_hessian(f, point)
    for j in range(len(point)):
        upper = _gradient_at(f, _step(point, j, eps), names, j, "+")
        lower = _gradient_at(f, _step(point, j, -eps), names, j, "-")
        for i in range(len(point)):
            numeric = (upper[i] - lower[i]) / (2.0 * eps)
            if not _close(hessian[i][j], numeric, atol, rtol):
                what = f"d²(f)/d({names[i]})d({names[j]})"
                return _Mismatch(what, hessian[i][j], numeric), output
    return None, output


def _numeric_gradient(
    where: str, f: Function, point: list[float], names: list[str], eps: float
) -> list[float]:
    """Central differences of f along each input."""
    gradient = []
    for i in range(len(point)):
        upper = _evaluate(where, f, _step(point, i, eps), names, i, "+")
        lower = _evaluate(where, f, _step(point, i, -eps), names, i, "-")
        gradient.append((upper - lower) / (2.0 * eps))
    return gradient


def _step(point: list[float], i: int, h: float) -> list[float]:
    """``point`` with coordinate i moved by h."""
    moved = list(point)
    moved[i] += h
    return moved


def _close(analytic: float, numeric: float, atol: float, rtol: float) -> bool:
    """torch's rule: |analytic - numeric| <= atol + rtol * |numeric|."""
    return abs(analytic - numeric) <= atol + rtol * abs(numeric)


def _named_parameters(
    where: str, parameters: Mapping[str, Value] | Iterable[Value]
) -> list[tuple[str, Value]]:
    """(name, parameter) pairs: mapping keys, else labels or positions."""
    if isinstance(parameters, Mapping):
        named = [(str(name), p) for name, p in parameters.items()]
    else:
        named = [(getattr(p, "label", "") or f"parameters[{i}]", p)
                 for i, p in enumerate(parameters)]
    for name, p in named:
        if not isinstance(p, Value) or isinstance(p, Constant):
            raise TypeError(f"{where}: {name} must be a Value (not a Constant), got {p!r}")
    return named


def _numeric_partial(
    where: str, loss: Callable[[], Value], name: str, p: Value, eps: float
) -> float:
    """d loss / d p by a central difference, moving p.data in place and back."""
    start = p.data
    sides = []
    try:
        with no_grad():
            for sign, h in (("+", eps), ("-", -eps)):
                p.data = start + h
                try:
                    sides.append(_call(loss, [], where).data)
                except (ArithmeticError, ValueError) as error:
                    raise _step_error(where, [name], 0, sign, [p.data], error) from None
    finally:
        p.data = start
    return (sides[0] - sides[1]) / (2.0 * eps)


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


def _gradient_at(
    f: Function, point: list[float], names: list[str], i: int, sign: str
) -> list[float]:
    """engine.grad of f at a point stepped along input i (for the Hessian)."""
    try:
        return _analytic_gradient(f, point, "gradgradcheck")[0]
    except (ArithmeticError, ValueError) as error:
        raise _step_error("gradgradcheck", names, i, sign, point, error) from None


def _evaluate(
    where: str, f: Function, point: list[float], names: list[str], i: int, sign: str
) -> float:
    """f's value at a point stepped along input i, without recording a graph."""
    try:
        with no_grad():
            return _call(f, [Value(x) for x in point], where).data
    except (ArithmeticError, ValueError) as error:
        raise _step_error(where, names, i, sign, point, error) from None


def _call(f: Function, leaves: list[Value], where: str) -> Value:
    output = f(*leaves)
    if not isinstance(output, Value):
        raise TypeError(
            f"{where}: f must return a Value computed from its arguments, "
            f"got {type(output).__name__} {output!r}"
        )
    return output


# -- finding the op to blame --------------------------------------------------


def _culprit(output: Value, eps: float, atol: float, rtol: float, second_order: bool) -> str:
    """Check each op node of f's graph on its own, at its own inputs, and
    describe the first whose derivative disagrees ('' if every op agrees,
    e.g. when f is only checked too near a kink)."""
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
            mismatch, _ = _first_order_mismatch("gradcheck", op, xs, names, eps, atol, rtol)
            if mismatch is None and second_order:
                mismatch, _ = _second_order_mismatch(op, xs, names, eps, atol, rtol)
        except (ArithmeticError, ValueError, TypeError) as error:
            return f"  culprit:   op {op.name!r} at {call}: {error}"
        if mismatch is not None:
            what = mismatch.what.replace("f", op.name, 1)
            return (
                f"  culprit:   op {op.name!r}: at {call} its derivative {what} is "
                f"{mismatch.analytic!r} but finite differences give {mismatch.numeric!r}"
                + _near_kink(op, xs, eps)
            )
    return ""


def _near_kink(op: Op, xs: list[float], eps: float) -> str:
    """A note if an input of op is within a few eps of a kink or edge of its
    Domain, where finite differences cannot be trusted ('' otherwise)."""
    for k, (x, domain) in enumerate(zip(xs, op.domains)):
        for p in (domain.low, domain.high, *domain.avoid):
            if math.isfinite(p) and abs(x - p) <= 10 * eps:
                return (
                    f"\n  note:      input {k} of {op.name} is within {10 * eps:g} of {p!r}, "
                    "a kink or edge of its Domain: finite differences are unreliable "
                    "there; check at another point"
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
        raise TypeError(f"{where}: f must be callable, got {type(f).__name__} {f!r}")
    for name, value in (("eps", eps), ("atol", atol), ("rtol", rtol)):
        number = to_float(value, f"{where}: {name}")
        if number < 0 or (name == "eps" and number == 0):
            relation = "> 0" if name == "eps" else ">= 0"
            raise ValueError(f"{where}: {name} must be {relation}, got {value!r}")
    if isinstance(inputs, (Value, int, float)) and not isinstance(inputs, bool):
        inputs = [inputs]
    if isinstance(inputs, (str, bytes)) or not isinstance(inputs, Sequence):
        raise TypeError(
            f"{where}: inputs must be a number, a Value, or a sequence of them, "
            f"got {type(inputs).__name__} {inputs!r}"
        )
    if not inputs:
        raise ValueError(f"{where}: inputs is empty; f needs at least one argument")
    point, names = [], []
    for i, x in enumerate(inputs):
        if isinstance(x, Value):
            point.append(x.data)
            names.append(x.label or f"x{i}")
        else:
            point.append(to_float(x, f"{where}: inputs[{i}]"))
            names.append(f"x{i}")
    return point, names


def _describe(f: Any) -> str:
    """How a message names f: an op's name, a formula, or a function's name."""
    if isinstance(f, Op):
        return f"op {f.name!r}"
    if type(f).__str__ is not object.__str__:
        return str(f)
    return getattr(f, "__qualname__", None) or repr(f)


def _format_point(point: list[float], names: list[str]) -> str:
    return ", ".join(f"{n}={x!r}" for n, x in zip(names, point))


def _report(
    where: str, f: Any, mismatch: _Mismatch, point: list[float], names: list[str],
    eps: float, atol: float, rtol: float, culprit: str,
) -> str:
    """The AssertionError message: what disagrees, by how much, where, and why."""
    analytic, numeric = mismatch.analytic, mismatch.numeric
    error = abs(analytic - numeric)
    relative = error / abs(numeric) if numeric != 0 else math.inf
    of_gradient = " of the gradient" if mismatch.what.startswith("d²") else ""
    lines = [
        f"{where}: {mismatch.what} disagrees with central differences{of_gradient}",
        f"  f:         {_describe(f)}",
        f"  at:        {_format_point(point, names)}",
        f"  analytic:  {analytic!r}",
        f"  numeric:   {numeric!r}  (eps={eps:g})",
        f"  abs error: {error:.3g}  (atol={atol:g})",
        f"  rel error: {relative:.3g}  (rtol={rtol:g}; passes if abs error <= "
        f"atol + rtol * |numeric| = {atol + rtol * abs(numeric):.3g})",
    ]
    if culprit:
        lines.append(culprit)
    return "\n".join(lines)


def _step_error(
    where: str, names: list[str], i: int, sign: str, point: list[float], error: BaseException
) -> ValueError:
    """f failed at a point one step from the checked one (outside its domain)."""
    return ValueError(
        f"{where}: f cannot be evaluated at {names[i]} {sign} eps = {point[i]!r} ({error}); "
        "check at a point at least eps inside f's domain"
    )
