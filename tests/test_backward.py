"""``Value.backward()`` and ``Value._backward()``: local derivatives, gradients
adding over every path, repeated passes, kinks and very deep graphs."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import Value

# -- each op's derivative, against central differences -------------------------

UNARY: dict[str, tuple[Callable[[Value], Value], Callable[[float], float]]] = {
    "neg": (lambda v: -v, lambda x: -x),
    "exp": (Value.exp, math.exp),
    "log": (Value.log, math.log),
    "sqrt": (Value.sqrt, math.sqrt),
    "tanh": (Value.tanh, math.tanh),
    "sigmoid": (Value.sigmoid, lambda x: 1 / (1 + math.exp(-x))),
    "relu": (Value.relu, lambda x: max(x, 0.0)),
    "gelu": (Value.gelu, lambda x: 0.5 * x * (1 + math.erf(x / math.sqrt(2)))),
    "softplus": (Value.softplus, lambda x: math.log1p(math.exp(x))),
    "sin": (Value.sin, math.sin),
    "cos": (Value.cos, math.cos),
    "erf": (Value.erf, math.erf),
    "abs": (abs, abs),
    "square": (lambda v: v**2, lambda x: x**2),
    "cube": (lambda v: v**3, lambda x: x**3),
    "reciprocal": (lambda v: 1 / v, lambda x: 1 / x),
    "two_to_the": (lambda v: 2**v, lambda x: 2**x),
}
POSITIVE_ONLY = {"log", "sqrt"}


def central_difference(f: Callable[[float], float], x: float, h: float = 1e-6) -> float:
    return (f(x + h) - f(x - h)) / (2 * h)


@pytest.mark.parametrize("name", sorted(UNARY))
@given(x=st.floats(0.05, 3.0) | st.floats(-3.0, -0.05))
def test_unary_derivatives_match_central_differences(name, x):
    make, reference = UNARY[name]
    if name in POSITIVE_ONLY:
        x = abs(x)
    v = Value(x)
    out = make(v)
    out.backward()
    numeric = central_difference(reference, x)
    assert math.isclose(v.grad, numeric, rel_tol=1e-5, abs_tol=1e-6), (name, x, v.grad, numeric)


BINARY: dict[str, Callable[[float, float], float]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
}


@pytest.mark.parametrize("name", sorted(BINARY))
@given(st.floats(0.1, 3.0), st.floats(0.1, 3.0) | st.floats(-3.0, -0.1))
def test_binary_derivatives_match_central_differences(name, x, y):
    f = BINARY[name]
    a, b = Value(x), Value(y)
    f(a, b).backward()
    da = central_difference(lambda t: f(t, y), x)
    db = central_difference(lambda t: f(x, t), y)
    assert math.isclose(a.grad, da, rel_tol=1e-5, abs_tol=1e-6)
    assert math.isclose(b.grad, db, rel_tol=1e-5, abs_tol=1e-6)


def test_kinks_take_derivative_zero():
    for make in (Value.relu, Value.abs, abs):
        x = Value(0.0)
        make(x).backward()
        assert x.grad == 0.0


def test_power_of_a_negative_base_by_a_number():
    x = Value(-2.0)
    (x**3).backward()
    assert x.grad == 12.0


def test_exponent_gradient_at_zero_base_is_the_limit_zero():
    x, w = Value(0.0), Value(2.0)
    (x**w).backward()
    assert (x.grad, w.grad) == (0.0, 0.0)


# -- gradients add over every path ---------------------------------------------------


def test_self_addition_and_self_multiplication():
    a = Value(3.0)
    (a + a).backward()
    assert a.grad == 2.0
    x = Value(3.0)
    (x * x).backward()
    assert x.grad == 6.0


def test_fan_out_and_diamond():
    x = Value(2.0)
    left, right = x * 3, x.exp()
    top = left * right  # d/dx (3x e^x) = 3 e^x (1 + x)
    top.backward()
    assert math.isclose(x.grad, 3 * math.exp(2.0) * 3.0)
    assert math.isclose(left.grad, math.exp(2.0)) and right.grad == 6.0


def test_a_node_used_by_many_later_nodes():
    x = Value(0.5)
    total = sum(x * k for k in range(1, 11))  # 55 x
    total.backward()
    assert x.grad == 55.0


@given(st.integers(1, 30), st.floats(-2.0, 2.0))
def test_repeated_use_sums_like_the_product_rule(n, x):
    v = Value(x)
    out = v
    for _ in range(n - 1):
        out = out * v
    out.backward()
    assert math.isclose(v.grad, n * x ** (n - 1), rel_tol=1e-9, abs_tol=1e-12)


# -- repeated passes --------------------------------------------------------------


def test_backward_twice_adds_into_leaves_only():
    x = Value(3.0)
    y = x * x
    z = y * 1.0
    z.backward()
    z.backward()
    assert x.grad == 12.0  # like PyTorch; micrograd gets 18
    assert y.grad == 1.0 and z.grad == 1.0


def test_backward_of_a_leaf_adds_one():
    x = Value(3.0)
    x.backward()
    x.backward()
    assert x.grad == 2.0


def test_zeroing_leaves_between_passes_gives_fresh_gradients():
    w, x = Value(0.5), Value(2.0)
    loss = (w * x - 1) ** 2
    for _ in range(3):
        w.grad = x.grad = 0.0
        loss.backward()
        assert w.grad == 2 * (0.5 * 2 - 1) * 2.0 and x.grad == 0.0


def test_backward_from_an_inner_node_leaves_the_rest_alone():
    x = Value(2.0)
    y = x * 3
    z = y * y
    y.backward()
    assert x.grad == 3.0 and z.grad == 0.0


# -- micrograd's _backward, stepped by hand as in the lecture -----------------------


def test_backward_can_be_stepped_node_by_node():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1, x2w2 = x1 * w1, x2 * w2
    x1w1x2w2 = x1w1 + x2w2
    n = x1w1x2w2 + b
    o = n.tanh()
    o.grad = 1.0
    o._backward()
    assert math.isclose(n.grad, 0.5, rel_tol=1e-9)
    assert x1.grad == 0.0  # nothing happens until its turn
    n._backward()
    b._backward()  # a leaf: nothing to do
    x1w1x2w2._backward()
    x2w2._backward()
    x1w1._backward()
    expected = {x1: -1.5, w1: 1.0, x2: 0.5, w2: 0.0, b: 0.5}
    for node, grad in expected.items():
        assert math.isclose(node.grad, grad, rel_tol=1e-9, abs_tol=1e-12), node.label


def test_stepping_a_topological_order_by_hand_matches_backward():
    def build() -> tuple[Value, list[Value]]:
        a, b = Value(1.5), Value(-0.5)
        c = (a * b).tanh() + a.exp() / (b * b + 1)
        return c, [a, b]

    out, leaves = build()
    topo: list[Value] = []
    seen: set[Value] = set()

    def visit(v: Value) -> None:  # the lecture's recursive build_topo, on _prev
        if v not in seen:
            seen.add(v)
            for child in v._prev:
                visit(child)
            topo.append(v)

    visit(out)
    out.grad = 1.0
    for node in reversed(topo):
        node._backward()
    by_hand = [v.grad for v in leaves]
    out2, leaves2 = build()
    out2.backward()
    assert by_hand == pytest.approx([v.grad for v in leaves2], rel=1e-12)


# -- depth ------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.usefixtures("default_recursion_limit")
def test_a_million_deep_chain_backpropagates(million_deep_chain):
    x, y = million_deep_chain
    y.backward()
    assert x.grad == 1.0  # (-1) ** 1_000_000
    assert y.data == 0.5


@pytest.mark.usefixtures("default_recursion_limit")
def test_a_chain_deeper_than_the_recursion_limit_backpropagates():
    x = Value(1.0)
    y = x
    for _ in range(20_000):
        y = y * 1.0 + 0.0
    y.backward()
    assert x.grad == 1.0
