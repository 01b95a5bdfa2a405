"""gradcheck at every scale: the numeric side (Richardson-extrapolated central
differences with steps relative to each input, engine.testing.differences)
passes correct derivatives from 1e-8 to 1e8 and fails ones wrong by 1%.

Tolerances are gradcheck's defaults (atol=1e-5, rtol=1e-3). A derivative
wrong by 1% misses by 0.01*|d|, more than atol + rtol*|d| once |d| > ~1.1e-3;
the 1%-wrong test draws points where the skewed derivative is above 2e-3.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import nn  # noqa: F401  (registers nn's ops, such as step, before collection)
from engine import REGISTRY, Op, Value, define_op, grad, ops
from engine.testing import gradcheck, gradgradcheck, magnitudes, numeric_gradient, temporary_ops

REGISTERED = list(REGISTRY.values())
# a derivative that is the constant 0 (nn's step) cannot be 1% off
SKEWABLE = [op for op in REGISTERED if any(callable(d) or d != 0.0 for d in op.derivatives)]

# The cases an adversarial campaign found failing with a fixed step of 1e-6.
STIFF = [
    ("x * 1.0 at 1e15", lambda x: x * 1.0, 1e15),
    ("x * x at 1e10", lambda x: x * x, 1e10),
    ("log at 1e-5", lambda x: x.log(), 1e-5),
    ("sqrt at 1e-5", lambda x: x.sqrt(), 1e-5),
    ("tanh(1e6 x) at 0", lambda x: (1e6 * x).tanh(), 0.0),
    ("exp(1e8 x) at 0", lambda x: (1e8 * x).exp(), 0.0),
    ("log at 1e-300", lambda x: x.log(), 1e-300),
    ("sin at 1e10", lambda x: x.sin(), 1e10),
    ("x * x at 1e150", lambda x: x * x, 1e150),
    ("tanh(x + 5) at 1e-12", lambda x: (x + 5.0).tanh(), 1e-12),
]


@pytest.mark.parametrize(("f", "x"), [case[1:] for case in STIFF], ids=[c[0] for c in STIFF])
def test_correct_functions_pass_at_stiff_points_and_scales(f: Callable[[Value], Value],
                                                           x: float) -> None:
    assert gradcheck(f, x)


@pytest.mark.parametrize(("f", "x"), [case[1:] for case in STIFF if "1e-300" not in case[0]],
                         ids=[c[0] for c in STIFF if "1e-300" not in c[0]])
def test_second_derivatives_pass_at_stiff_points_and_scales(f: Callable[[Value], Value],
                                                            x: float) -> None:
    assert gradgradcheck(f, x)


def _slope(f: Callable[[Value], Value], x: float) -> float:
    leaf = Value(x)
    return grad(f(leaf), leaf)[0].data


# where 1% of the derivative is above gradcheck's tolerance (not tanh(x + 5): 1.8e-4)
VISIBLE = [case for case in STIFF if abs(_slope(case[1], case[2])) > 2e-3]


@pytest.mark.parametrize(("f", "x"), [case[1:] for case in VISIBLE], ids=[c[0] for c in VISIBLE])
def test_a_derivative_one_percent_off_fails_at_the_same_points(f: Callable[[Value], Value],
                                                               x: float) -> None:
    with temporary_ops():
        off = define_op("one_percent_off", lambda v: v, [1.01])  # identity, derivative 1.01
        with pytest.raises(AssertionError, match="one_percent_off"):
            gradcheck(lambda v: f(off(v)), x)


def test_numeric_gradient_is_accurate_far_beyond_a_fixed_step() -> None:
    (slope,) = numeric_gradient(lambda x: (1e6 * x).tanh(), [0.0])
    assert slope == pytest.approx(1e6, rel=1e-9)
    (slope,) = numeric_gradient(lambda x: x.log(), [1e-5])
    assert slope == pytest.approx(1e5, rel=1e-9)


def test_a_point_at_the_edge_of_float_precision_says_so() -> None:
    # f changes by less than one ulp of 1e17 over any step below 8: numeric 0
    edge = r"edge of float64 precision(.|\n)*larger eps"
    with pytest.raises(AssertionError, match=edge) as caught:
        gradcheck(lambda x: x + 1e17, 1.0)
    assert "culprit" not in str(caught.value)  # add is right: it is not blamed
    assert gradcheck(lambda x: x + 1e17, 1.0, eps=1e6)  # as the message suggests


# -- the checker itself, property-tested over every registered op ---------------------


def _finite_gradient(op: Op, point: tuple[float, ...]) -> list[float]:
    """The op's gradient at point, or the example is discarded where the op or
    its derivative leaves float range (exp at 1e8, pow(1e8, 1e8))."""
    try:
        leaves = [Value(x) for x in point]
        return [g.data for g in grad(op(*leaves), leaves)]
    except (ArithmeticError, ValueError):
        assume(False)
        raise  # unreachable: assume(False) raises


def _points(op: Op) -> st.SearchStrategy[tuple[float, ...]]:
    return st.tuples(*(magnitudes(d) for d in op.domains))


@pytest.mark.parametrize("op", REGISTERED, ids=[op.name for op in REGISTERED])
@settings(max_examples=30)  # x 20 ops x 2 tests: a few seconds in all
@given(data=st.data())
def test_correct_derivatives_of_every_op_pass_from_1e_minus_8_to_1e8(op: Op, data) -> None:
    point = data.draw(_points(op), label="point")
    _finite_gradient(op, point)
    assert gradcheck(op, point)


@pytest.mark.parametrize("op", REGISTERED, ids=[op.name for op in REGISTERED])
@settings(max_examples=15)
@given(data=st.data())
def test_correct_second_derivatives_of_every_op_pass_from_1e_minus_8_to_1e8(op: Op,
                                                                          data) -> None:
    point = data.draw(_points(op), label="point")
    _finite_gradient(op, point)
    try:
        leaves = [Value(x) for x in point]
        for g in grad(op(*leaves), leaves, create_graph=True):
            grad(g, leaves)
    except (ArithmeticError, ValueError):
        assume(False)  # the second derivative leaves float range (log at 1e-300 ...)
    assert gradgradcheck(op, point)


def _skewed(op: Op, k: int) -> Op:
    """``op`` with its k-th derivative made 1% too large (a planted bug)."""

    def derivative(i: int) -> Callable[..., float]:
        scale = 1.01 if i == k else 1.0
        if op.arity == 1:
            return lambda x, out: scale * op.local(i, [x], out)
        return lambda a, b, out: scale * op.local(i, [a, b], out)

    derivatives = [derivative(i) for i in range(op.arity)]
    return define_op(f"skewed_{op.name}", op.forward, derivatives, domains=op.domains)


@pytest.mark.parametrize("op", SKEWABLE, ids=[op.name for op in SKEWABLE])
@settings(max_examples=30)
@given(data=st.data())
def test_derivatives_one_percent_off_fail_for_every_op(op: Op, data) -> None:
    point = data.draw(_points(op), label="point")
    k = data.draw(st.integers(0, op.arity - 1), label="wrong input")
    gradient = _finite_gradient(op, point)
    assume(abs(gradient[k]) > 2e-3 and math.isfinite(1.01 * gradient[k]))
    with temporary_ops():
        skewed = _skewed(op, k)
        with pytest.raises(AssertionError, match=f"skewed_{op.name}"):
            gradcheck(skewed, point)


def test_the_planted_bug_in_a_wide_graph_is_blamed_on_its_op() -> None:
    with temporary_ops():
        skewed = _skewed(ops.exp, 0)
        with pytest.raises(AssertionError, match=r"culprit:\s+op 'skewed_exp'"):
            gradcheck(lambda x, y: skewed(x * 1e-6) * y + y.log(), [3e5, 1e5])
