"""``engine.grad``: gradients returned as values, leaving ``.grad`` alone, and
differentiable gradients (``create_graph=True``) for higher derivatives."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import Value, grad, no_grad, topological_order

moderate = st.floats(-3.0, 3.0, allow_nan=False)


def all_grads(output: Value) -> list[float]:
    return [node.grad for node in topological_order(output)]


def test_grad_returns_values_and_touches_no_grad_field():
    a, b = Value(2.0), Value(-3.0)
    c = a * b + b**2
    ga, gb = grad(c, [a, b])
    assert (ga.data, gb.data) == (-3.0, 2.0 + 2 * -3.0)
    assert type(ga) is Value and ga.is_leaf
    assert all(g == 0.0 for g in all_grads(c))


def test_grad_agrees_with_backward():
    x, y = Value(0.3), Value(-1.2)
    out = (x * y).tanh() + (x - y).exp() / (y * y + 1)
    gx, gy = grad(out, [x, y])
    out.backward()
    assert (gx.data, gy.data) == pytest.approx((x.grad, y.grad), rel=1e-12)


def test_grad_with_respect_to_inner_nodes_and_repeated_inputs():
    x = Value(2.0)
    h = x * x
    out = h * 3
    gh, gx, gx_again = grad(out, [h, x, x])
    assert (gh.data, gx.data, gx_again.data) == (3.0, 12.0, 12.0)


def test_grad_of_an_input_not_in_the_graph_is_zero():
    x, unrelated = Value(2.0), Value(5.0)
    (g,) = grad(x * x, [unrelated])
    assert g.data == 0.0
    assert grad(x * x, []) == []


def test_grad_of_the_output_itself_is_one():
    x = Value(2.0)
    y = x.exp()
    (g,) = grad(y, [y])
    assert g.data == 1.0


def test_grad_without_create_graph_gives_leaves():
    x = Value(1.5)
    (g,) = grad(x**3, [x])
    assert g.is_leaf and g.data == 3 * 1.5**2


# -- higher derivatives -------------------------------------------------------------


@given(moderate)
def test_third_derivative_of_x_to_the_fourth(x):
    v = Value(x)
    (d1,) = grad(v**4, [v], create_graph=True)
    (d2,) = grad(d1, [v], create_graph=True)
    (d3,) = grad(d2, [v], create_graph=True)
    assert math.isclose(d1.data, 4 * x**3, rel_tol=1e-12, abs_tol=1e-12)
    assert math.isclose(d2.data, 12 * x**2, rel_tol=1e-12, abs_tol=1e-12)
    assert math.isclose(d3.data, 24 * x, rel_tol=1e-12, abs_tol=1e-12)


@pytest.mark.parametrize(
    ("f", "second"),
    [
        (Value.exp, math.exp),
        (Value.sin, lambda x: -math.sin(x)),
        (Value.tanh, lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2)),
        (lambda v: 1 / v, lambda x: 2 / x**3),
        (lambda v: v**3, lambda x: 6 * x),
        (lambda v: (v * v).sqrt(), lambda x: 0.0),
    ],
)
@pytest.mark.parametrize("x", [-1.3, 0.4, 2.0])
def test_second_derivatives(f, second, x):
    v = Value(x)
    (d1,) = grad(f(v), [v], create_graph=True)
    (d2,) = grad(d1, [v])
    assert math.isclose(d2.data, second(x), rel_tol=1e-9, abs_tol=1e-12)


@pytest.mark.parametrize("x", [-2.0, 0.5, 3.0])
def test_second_derivative_by_backward_on_a_differentiable_gradient(x):
    # Differentiating a create_graph gradient with .backward() must work wherever
    # the function is smooth, negative inputs of integer powers included.
    v = Value(x)
    (d1,) = grad(v**2 + v**3, [v], create_graph=True)
    d1.backward()
    assert math.isclose(v.grad, 2 + 6 * x, rel_tol=1e-12)


def test_hessian_entries():
    x, y = Value(1.5), Value(-0.5)
    f = x * x * y + (x * y).sin()  # f_xx = 2y - y²sin(xy), f_xy = 2x + cos(xy) - xy sin(xy)
    gx, gy = grad(f, [x, y], create_graph=True)
    hxx, hxy = grad(gx, [x, y])
    hyx, hyy = grad(gy, [x, y])
    xy = 1.5 * -0.5
    assert math.isclose(hxx.data, 2 * -0.5 - 0.25 * math.sin(xy), rel_tol=1e-12)
    assert math.isclose(hxy.data, 2 * 1.5 + math.cos(xy) - xy * math.sin(xy), rel_tol=1e-12)
    assert math.isclose(hxy.data, hyx.data, rel_tol=1e-12)
    assert math.isclose(hyy.data, -(1.5**2) * math.sin(xy), rel_tol=1e-12)


def test_create_graph_leaves_grad_fields_alone():
    x = Value(2.0)
    y = x**3
    (g,) = grad(y, [x], create_graph=True)
    assert x.grad == 0.0 and y.grad == 0.0
    assert not g.is_leaf  # a graph that can be differentiated again


def test_create_graph_works_inside_no_grad():
    x = Value(1.5)
    y = x**3
    with no_grad():
        (d1,) = grad(y, [x], create_graph=True)
        (d2,) = grad(d1, [x])
    assert d1.data == 3 * 1.5**2 and d2.data == 6 * 1.5


def test_newton_steps_converge_on_a_one_dimensional_function():
    # minimise f(x) = x⁴ - 3x² + x: Newton's method x ← x - f'(x) / f''(x)
    x = Value(2.0)
    for _ in range(20):
        (d1,) = grad(x**4 - 3 * x**2 + x, [x], create_graph=True)
        (d2,) = grad(d1, [x])
        x = Value(x.data - d1.data / d2.data)
    root = x.data
    assert abs(4 * root**3 - 6 * root + 1) < 1e-12
    assert 12 * root**2 - 6 > 0  # a minimum
    assert math.isclose(root, 1.1309, abs_tol=1e-4)


@pytest.mark.slow
@pytest.mark.usefixtures("default_recursion_limit")
def test_grad_through_a_million_deep_chain(million_deep_chain):
    x, y = million_deep_chain
    (g,) = grad(y, [x])
    assert g.data == 1.0 and x.grad == 0.0


@pytest.mark.usefixtures("default_recursion_limit")
def test_create_graph_through_a_chain_deeper_than_the_recursion_limit():
    x = Value(0.9)
    y = x
    for _ in range(5_000):
        y = y * 1.0 + 0.0
    y = y**2
    (d1,) = grad(y, [x], create_graph=True)
    (d2,) = grad(d1, [x])
    assert math.isclose(d1.data, 1.8) and d2.data == 2.0


def test_grad_rejects_non_values():
    x = Value(1.0)
    with pytest.raises(TypeError, match="grad"):
        grad(1.0, [x])
    with pytest.raises(TypeError, match=r"grad.*float"):
        grad(x * 2, [1.0])
