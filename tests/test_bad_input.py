"""Regression tests for issue 14's engine items: huge ints, long strings, nan
comparisons, malformed ``define_op`` arguments and user forwards/derivatives
that fail or return the wrong type all get a short exception naming the
function or op (or, where the answer exists, a finite result)."""

from __future__ import annotations

import math

import pytest

import engine
from engine import Domain, Value, define_op
from engine.checks import QUOTE_LIMIT, short_repr, to_float
from engine.testing import temporary_ops
from nn.losses import logsumexp

MESSAGE_LIMIT = 300
"""The longest message any bad input may produce (the quote is cut to QUOTE_LIMIT)."""

HUGE = 10**5000  # more digits than Python's int-to-string limit (4300)


def _raised(call, error: type[BaseException], name: str) -> str:
    """Run ``call``, check it raises ``error`` naming ``name`` in a short message."""
    with pytest.raises(error) as caught:
        call()
    message = str(caught.value)
    if name not in message or len(message) > MESSAGE_LIMIT:
        pytest.fail(f"{len(message)}-character message not naming {name!r}: {message[:500]}")
    return message


# -- huge ints, long strings, nan ---------------------------------------------


def test_short_repr_of_a_huge_int_builds_and_says_how_big() -> None:
    assert short_repr(HUGE) == "an int of about 5001 digits"
    assert short_repr(-HUGE).startswith("an int of about")


def test_short_repr_survives_a_broken_repr_and_cuts_long_text() -> None:
    class Broken:
        def __repr__(self) -> str:
            raise RuntimeError("no")

    assert short_repr(Broken()) == "<Broken object>"
    assert len(short_repr("x" * 10_000_000)) == QUOTE_LIMIT


@pytest.mark.parametrize("make", [lambda: Value(HUGE), lambda: Value(-HUGE)], ids=["+", "-"])
def test_a_value_from_an_int_beyond_the_string_limit_is_a_named_overflow(make) -> None:
    assert "digits" in _raised(make, OverflowError, "Value")


@pytest.mark.parametrize(
    ("compute", "name"),
    [
        (lambda: Value(1) + HUGE, "add"),
        (lambda: HUGE * Value(1), "mul"),
        (lambda: Value(1) - HUGE, "sub"),
        (lambda: Value(2) ** HUGE, "pow"),
        (lambda: engine.ops.exp(HUGE), "exp"),
    ],
    ids=["add", "rmul", "sub", "pow", "exp"],
)
def test_an_operand_beyond_the_string_limit_names_the_op(compute, name) -> None:
    _raised(compute, OverflowError, name)


def test_to_float_names_where_for_a_huge_int() -> None:
    _raised(lambda: to_float(HUGE, "my_function"), OverflowError, "my_function")


LONG = "x" * 10_000_000


@pytest.mark.parametrize(
    ("compute", "name"),
    [(lambda: Value(LONG), "Value"), (lambda: Value(1) + LONG, "add"),
     (lambda: Value(1) < LONG, "compare"), (lambda: engine.ops.tanh([LONG]), "tanh"),
     (lambda: engine.grad(Value(1.0), [LONG]), "grad")],
    ids=["Value", "add", "<", "tanh", "grad"],
)
def test_a_ten_million_character_string_gives_a_short_message(compute, name) -> None:
    _raised(compute, TypeError, name)


def test_comparing_with_an_int_beyond_float_range_is_exact() -> None:
    assert Value(2.0) < 10**400
    assert Value(2.0) > -(10**400)
    assert not Value(2.0) >= 10**400


@pytest.mark.parametrize("compare", ["__lt__", "__le__", "__gt__", "__ge__"])
def test_comparing_with_nan_raises(compare: str) -> None:
    _raised(lambda: getattr(Value(2.0), compare)(math.nan), ValueError, "nan")


def test_grad_accepts_a_single_value() -> None:
    x = Value(3.0)
    (dx,) = engine.grad(x * x, x)
    assert dx.data == 6.0


def test_logsumexp_of_the_largest_floats_is_finite_with_a_fair_gradient() -> None:
    a, b = Value(1e308), Value(1e308)
    y = logsumexp([a, b])
    y.backward()
    assert y.data == 1e308  # 1e308 + log(2) rounds back to 1e308
    assert (a.grad, b.grad) == (0.5, 0.5)
    assert logsumexp([1e308, 1e308]) == 1e308
    assert math.isclose(logsumexp([-1e308, -1e308]), -1e308)


# -- define_op: malformed arguments are refused at define time ----------------


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda: Domain(low=5, high=1), ValueError),
        (lambda: Domain(low=1, high=1), ValueError),
        (lambda: Domain(low=math.nan), TypeError),
        (lambda: Domain(low="0"), TypeError),
        (lambda: Domain(avoid=[0.0]), TypeError),
        (lambda: Domain(avoid=(math.inf,)), ValueError),
    ],
    ids=["low>high", "empty", "nan", "str", "list-avoid", "inf-avoid"],
)
def test_a_malformed_domain_is_refused_when_made(make, error) -> None:
    _raised(make, error, "Domain")


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"domains": [(0.0, 1.0)]}, TypeError),
        ({"domains": Domain()}, TypeError),
        ({"domains": [Domain(), Domain()]}, ValueError),
        ({"domains": "a"}, TypeError),
        ({"array_forward": 3}, TypeError),
        ({"affine": 1}, TypeError),
    ],
    ids=["tuple", "bare-domain", "too-many", "string", "array_forward", "affine"],
)
def test_malformed_define_op_arguments_name_the_op(kwargs, error) -> None:
    with temporary_ops():
        _raised(lambda: define_op("malformed_op", lambda x: x, [1.0], **kwargs), error,
                "malformed_op")
    assert "malformed_op" not in engine.REGISTRY


@pytest.mark.parametrize(
    ("forward", "derivatives"),
    [
        (lambda x, y: x, [1.0]),
        (lambda: 1.0, [1.0]),
        (lambda x: x, [1.0, 1.0]),
        (lambda x: x, [lambda x, y, z: 1.0]),
    ],
    ids=["forward-2-for-1", "forward-0", "forward-1-for-2", "derivative-3"],
)
def test_forward_and_derivative_arity_is_checked_at_define_time(forward, derivatives) -> None:
    with temporary_ops():
        _raised(lambda: define_op("wrong_arity", forward, derivatives), TypeError,
                "wrong_arity")


def test_forwards_with_star_args_or_defaults_are_accepted() -> None:
    with temporary_ops():
        op = define_op("starred", lambda *xs: sum(xs), [1.0, 1.0])
        assert op(1.0, 2.0) == 3.0
        op = define_op("defaulted", lambda x, scale=2.0: scale * x, [2.0])
        assert op(1.5) == 3.0


def _raises_key_error(x: float) -> float:
    return {}[x]


@pytest.mark.parametrize(
    ("forward", "error"),
    [
        (lambda x: None, TypeError),
        (lambda x: "2", TypeError),
        (lambda x: True, TypeError),
        (lambda x: 2j, TypeError),
        (lambda x: Value(1.0), TypeError),
        (lambda x: math.inf, OverflowError),
        (lambda x: math.nan, ValueError),
        (lambda x: HUGE, OverflowError),
        (_raises_key_error, KeyError),
    ],
    ids=["None", "str", "bool", "complex", "Value", "inf", "nan", "huge-int", "KeyError"],
)
def test_a_user_forward_that_fails_or_returns_the_wrong_type_is_named(forward, error) -> None:
    with temporary_ops():
        op = define_op("user_forward", forward, [1.0])
        for call in (lambda: op(1.5), lambda: op(Value(1.5)), lambda: engine.ops.exp(op(1.5))):
            _raised(call, error, "user_forward")


@pytest.mark.parametrize(
    ("derivative", "error"),
    [
        (lambda x: None, TypeError),
        (lambda x: "2", TypeError),
        (lambda x: 2j, TypeError),
        (lambda x: Value(1.0), TypeError),
        (lambda x: math.inf, OverflowError),
        (_raises_key_error, KeyError),
    ],
    ids=["None", "str", "complex", "Value", "inf", "KeyError"],
)
def test_a_user_derivative_that_fails_or_returns_the_wrong_type_is_named(derivative, error
                                                                        ) -> None:
    with temporary_ops():
        op = define_op("user_derivative", lambda x: 2.0 * x, [derivative])
        x = Value(1.5)
        _raised(lambda: op(x).backward(), error, "user_derivative")
        assert x.grad == 0.0  # nothing half-accumulated
        _raised(lambda: engine.grad(op(x), [x]), error, "user_derivative")


# -- found by tests/test_fuzz_engine.py ---------------------------------------------


def test_ops_on_arrays_of_non_numbers_name_the_op() -> None:
    import numpy as np

    for op in (engine.ops.sigmoid, engine.ops.relu, engine.ops.erf):
        _raised(lambda op=op: op(np.array(["a"])), TypeError, op.name)
        _raised(lambda op=op: op(np.array([1 + 2j])), TypeError, op.name)  # not cut to 1.0


def test_define_op_with_derivatives_that_are_not_a_list_names_it() -> None:
    with temporary_ops():
        _raised(lambda: define_op("no_list", lambda x: x, None), TypeError, "no_list")
        _raised(lambda: define_op("no_list", lambda x: x, 3), TypeError, "no_list")


def test_grad_create_graph_must_be_a_bool() -> None:
    import numpy as np

    x = Value(1.0)
    _raised(lambda: engine.grad(x * x, [x], create_graph=np.array([1.0, 2.0])), TypeError,
            "create_graph")
