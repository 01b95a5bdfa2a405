"""An op called on numpy arrays works element-wise (``Op.__call__`` and
``Op.on_arrays``): batched mode relies on it, because derivatives written with
ops (``sin``'s is ``cos(x)``, ``gelu``'s uses ``erf``) then run on arrays as
written."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from engine import Value
from engine.ops import cos, erf
from engine.testing import op_inputs

BUILT_IN = [name for name in engine.REGISTRY if hasattr(engine.ops, name)]


@pytest.mark.parametrize("name", BUILT_IN)
@settings(max_examples=25)
@given(data=st.data())
def test_an_op_on_arrays_equals_the_op_on_each_element(name, data):
    op = engine.REGISTRY[name]
    points = [data.draw(op_inputs(op)) for _ in range(5)]
    columns = [np.array(column) for column in zip(*points)]
    result = op(*columns)
    assert isinstance(result, np.ndarray) and result.shape == (5,)
    expected = [op(*point) for point in points]
    np.testing.assert_allclose(result, expected, rtol=1e-12, atol=1e-300)


def test_derivatives_written_with_ops_run_on_arrays():
    x = np.array([-1.0, 0.0, 2.0])
    np.testing.assert_allclose(cos(x), np.cos(x))
    np.testing.assert_allclose(erf(x), [erf(v) for v in x.tolist()])
    assert isinstance(engine.ops.add(Value(1.0), 2.0), Value)  # a Value anywhere: a node
