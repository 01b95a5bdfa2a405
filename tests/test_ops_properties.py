"""Every op in ``engine.REGISTRY``, at first and second order, against finite
differences — generated from the registry at collection time, so an op added
to ``engine.ops`` (or registered by a module imported before collection) is
covered with no new test code.

Tolerances: ``gradcheck``'s defaults, ``atol=1e-5, rtol=1e-3``
(those of ``torch.autograd.gradcheck`` in double precision). The numeric side
is Richardson-extrapolated central differences refined until its own error
estimate is below 1% of that tolerance (``engine.testing.gradcheck``), so a
correct derivative passes and a wrong one misses by far more. ``op_inputs``
draws points inside each op's ``Domain``, within ±3 and at least 0.1 from
kinks and edges; ``tests/test_gradcheck_scales.py`` covers 1e-8 to 1e8. The
second-order check differences the analytic gradient the same way.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import REGISTRY, Op, Value, grad
from engine.testing import gradgradcheck, op_inputs

OPS = list(REGISTRY.values())


@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
@given(data=st.data())
def test_derivatives_match_finite_differences(op: Op, data: st.DataObject) -> None:
    point = data.draw(op_inputs(op), label="point")
    assert gradgradcheck(op, point)  # checks the first derivatives too


@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
@given(data=st.data())
def test_backward_agrees_with_grad_and_floats(op: Op, data: st.DataObject) -> None:
    point = data.draw(op_inputs(op), label="point")
    leaves = [Value(x) for x in point]
    out = op(*leaves)
    assert out.data == op(*point)  # one forward for floats and Values
    expected = [g.data for g in grad(out, leaves)]
    out.backward()
    assert [leaf.grad for leaf in leaves] == pytest.approx(expected, rel=1e-12, abs=0.0)
    assert all(math.isfinite(g) for g in expected)
