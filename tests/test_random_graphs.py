"""Random computation graphs (DAGs with shared sub-expressions, up to a few
dozen nodes) over every op in the registry: ``backward()`` and ``grad()``
against finite differences and against each other, and ``create_graph``
second derivatives.

Tolerances are ``gradcheck``'s defaults (``atol=1e-5, rtol=1e-3``, see
``tests/test_ops_properties.py`` for the error budget): ``expressions()``
keeps every op at least 0.1 inside its domain and every intermediate value
within ±100, so finite differences stay accurate through composition.
"""

from __future__ import annotations

import operator

import pytest
from hypothesis import given, settings

from engine import Value, grad
from engine.testing import Expression, expressions, gradcheck, gradgradcheck, numeric_gradient


@given(expressions(max_ops=30))
def test_grad_matches_finite_differences(expr: Expression) -> None:
    assert gradcheck(expr, expr.inputs)


@given(expressions(max_ops=30))
def test_backward_matches_finite_differences_and_grad(expr: Expression) -> None:
    leaves = [Value(x) for x in expr.inputs]
    out = expr.build(leaves)
    out.backward()
    numeric = numeric_gradient(expr, expr.inputs)
    for leaf, n in zip(leaves, numeric):
        assert abs(leaf.grad - n) <= 1e-5 + 1e-3 * abs(n), (str(expr), leaf.grad, n)
    # grad() walks the same graph without touching .grad: same sums, maybe another order
    assert [g.data for g in grad(out, leaves)] == pytest.approx(
        [leaf.grad for leaf in leaves], rel=1e-9, abs=1e-12
    )


@given(expressions(max_ops=30))
def test_backward_twice_accumulates_into_leaves(expr: Expression) -> None:
    leaves = [Value(x) for x in expr.inputs]
    out = expr.build(leaves)
    out.backward()
    once = [leaf.grad for leaf in leaves]
    out.backward()
    assert [leaf.grad for leaf in leaves] == pytest.approx([2 * g for g in once], rel=1e-12)


@settings(max_examples=60)
@given(expressions(max_ops=15))
def test_create_graph_second_derivatives_match_finite_differences(expr: Expression) -> None:
    assert gradgradcheck(expr, expr.inputs)


# -- PyTorch as a second oracle, where installed -----------------------------------


def _torch_functions() -> dict[str, object]:
    torch = pytest.importorskip("torch")
    functional = torch.nn.functional
    return {
        "add": operator.add, "sub": operator.sub, "mul": operator.mul,
        "div": operator.truediv, "pow": operator.pow, "neg": operator.neg,
        "exp": torch.exp, "log": torch.log, "sqrt": torch.sqrt, "tanh": torch.tanh,
        "sigmoid": torch.sigmoid, "relu": torch.relu, "sin": torch.sin, "cos": torch.cos,
        "erf": torch.erf, "gelu": functional.gelu, "softplus": functional.softplus,
        "abs": torch.abs,
    }


def test_gradients_agree_with_pytorch() -> None:
    functions = _torch_functions()
    import torch

    @given(expressions(ops=sorted(functions), max_ops=20))
    def check(expr: Expression) -> None:
        leaves = [Value(x) for x in expr.inputs]
        ours = [g.data for g in grad(expr.build(leaves), leaves)]
        xs = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in expr.inputs]
        out = expr.build(xs, apply=lambda op, *args: functions[op.name](*args))
        theirs = torch.autograd.grad(out, xs, allow_unused=True)
        expected = [0.0 if g is None else g.item() for g in theirs]
        assert ours == pytest.approx(expected, rel=1e-9, abs=1e-12), str(expr)

    check()
