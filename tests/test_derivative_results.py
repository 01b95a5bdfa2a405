"""What a user op's forward or derivative may return (issue 14): a real number
becomes a finite float; anything else (complex, str, bool, None, a ``Value``)
raises an error naming the op and what it gave — in ``backward()`` and in
``grad()`` alike, and is never stored as data or gradient."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from engine import REGISTRY, Value, define_op, grad

BAD = {"complex": 2j, "str": "2", "bool": True, "none": None, "value": Value(2.0)}
GOOD = {"int": 2, "numpy": np.float64(2.0), "fraction": Fraction(2)}


@pytest.fixture
def user_op() -> Iterator[Any]:
    """A factory of one-input ops named ``probe_*``, removed from the registry after."""
    made: list[str] = []

    def make(forward: Any, derivative: Any) -> Any:
        name = f"probe_{len(made)}"
        made.append(name)
        return define_op(name, forward, [derivative])

    yield make
    for name in made:
        REGISTRY.pop(name, None)


@pytest.mark.parametrize("kind", sorted(BAD))
@pytest.mark.parametrize("how", ["backward", "grad", "create_graph"])
def test_a_derivative_that_is_not_a_real_number_is_refused(user_op, kind, how):
    bad = BAD[kind]
    op = user_op(lambda x: 2.0 * x, lambda x: bad)
    x = Value(1.5)
    y = op(x) * 3.0
    if how == "create_graph" and kind == "value":
        assert grad(y, x, create_graph=True)[0].data == 6.0  # a Value is fine there
        return
    message = rf"probe_0\(1\.5\): derivative 0 gave {type(bad).__name__}"
    with pytest.raises(TypeError, match=message):
        if how == "backward":
            y.backward()
        else:
            grad(y, x, create_graph=how == "create_graph")
    assert type(x.grad) is float and x.grad == 0.0


@pytest.mark.parametrize("kind", sorted(GOOD))
@pytest.mark.parametrize("how", ["backward", "grad"])
def test_a_derivative_that_is_a_real_number_becomes_a_float(user_op, kind, how):
    op = user_op(lambda x: 2.0 * x, lambda x: GOOD[kind])
    x = Value(1.5)
    y = op(x) * 3.0
    if how == "backward":
        y.backward()
        result = x.grad
    else:
        result = grad(y, x)[0].data
    assert type(result) is float and result == 6.0


def test_a_derivative_too_large_for_a_float_is_an_overflow_naming_the_op(user_op):
    op = user_op(lambda x: 2.0 * x, lambda x: 10**400)
    x = Value(1.5)
    for run in (lambda: op(x).backward(), lambda: grad(op(x), x)):
        with pytest.raises(OverflowError, match=r"probe_0\(1\.5\): derivative 0 gave an int"):
            run()


@pytest.mark.parametrize("result", ["3.0", True, 1j, None, Value(1.0)])
def test_a_forward_that_is_not_a_real_number_is_refused(user_op, result):
    op = user_op(lambda x: result, 1.0)
    for arg in (Value(1.5), 1.5):
        with pytest.raises(TypeError, match=r"probe_0\(1\.5\): forward returned"):
            op(arg)


@pytest.mark.parametrize("x", [1e155, -1e155, 1e300, -1e300, 41.0, -41.0])
def test_gelu_and_erf_gradients_are_exact_far_out(x):
    for method, expected in (("gelu", 1.0 if x > 0 else 0.0), ("erf", 0.0)):
        v = Value(x)
        getattr(v, method)().backward()
        assert v.grad == expected
        assert grad(getattr(Value(x), method)(), [Value(x)])[0].data == 0.0  # unrelated input
        w = Value(x)
        assert grad(getattr(w, method)(), w)[0].data == expected

