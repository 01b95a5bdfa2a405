"""Errors are part of the API: bad input raises a clear exception naming the
function or op and the offending value; data and grad never become NaN or inf."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from engine import Value, grad

# -- constructing and assigning ----------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        ("3.0", TypeError),
        (None, TypeError),
        (1 + 2j, TypeError),
        ([1.0], TypeError),
        ((1.0,), TypeError),
        (True, TypeError),
        (np.bool_(True), TypeError),
        (np.array([1.0]), TypeError),
        (float("nan"), ValueError),
        (float("inf"), ValueError),
        (-math.inf, ValueError),
        (np.float64("nan"), ValueError),
    ],
    ids=repr,
)
def test_value_rejects_what_is_not_a_finite_real_number(bad, error):
    with pytest.raises(error, match=r"^Value\b") as caught:
        Value(bad)
    assert type(bad).__name__ in str(caught.value) or repr(bad) in str(caught.value)


def test_value_rejects_an_int_too_large_for_a_float():
    with pytest.raises((ValueError, OverflowError), match=r"^Value\b.*int"):
        Value(10**400)


def test_an_operand_too_large_for_a_float_names_the_op():
    with pytest.raises((ValueError, OverflowError), match=r"^add\b"):
        Value(1.0) + 10**400


def test_children_must_be_values():
    with pytest.raises(TypeError, match=r"Value.*_children.*float"):
        Value(1.0, (1.0,), "+")


@pytest.mark.parametrize("field", ["data", "grad"])
@pytest.mark.parametrize(("bad", "error"), [(math.nan, ValueError), ("1", TypeError)])
def test_data_and_grad_stay_finite_floats(field, bad, error):
    v = Value(1.0)
    with pytest.raises(error, match=rf"Value\.{field}"):
        setattr(v, field, bad)
    assert getattr(v, field) == (1.0 if field == "data" else 0.0)


# -- forward errors name the op and its operands -----------------------------------


@pytest.mark.parametrize(
    ("compute", "error", "message"),
    [
        (lambda: Value(0.0).log(), ValueError, r"log\(0\.0\)"),
        (lambda: Value(-1.0).log(), ValueError, r"log\(-1\.0\)"),
        (lambda: Value(-1.0).sqrt(), ValueError, r"sqrt\(-1\.0\)"),
        (lambda: Value(1.0) / 0, ZeroDivisionError, r"div\(1\.0, 0\.0\)"),
        (lambda: 1.0 / Value(0.0), ZeroDivisionError, r"div\(1\.0, 0\.0\)"),
        (lambda: Value(0.0) ** -1, ZeroDivisionError, r"pow\(0\.0, -1\.0\)"),
        (lambda: 0 ** Value(-1.0), ZeroDivisionError, r"pow\(0\.0, -1\.0\)"),
        (lambda: Value(-8.0) ** (1 / 3), ValueError, r"pow\(-8\.0, 0\.333"),
        (lambda: Value(1000.0).exp(), OverflowError, r"exp\(1000\.0\)"),
        (lambda: Value(1e200) * 1e200, OverflowError, r"mul\(1e\+200, 1e\+200\)"),
        (lambda: Value(1e308) + 1e308, OverflowError, r"add\(1e\+308, 1e\+308\)"),
        (lambda: Value(10.0) ** 400, OverflowError, r"pow\(10\.0, 400\.0\)"),
    ],
)
def test_forward_errors_name_the_op_and_operands(compute, error, message):
    with pytest.raises(error, match=message):
        compute()


@pytest.mark.parametrize(
    "compute",
    [
        lambda: Value(1.0) + "a",  # type: ignore[operator]
        lambda: "a" + Value(1.0),  # type: ignore[operator]
        lambda: Value(1.0) * None,  # type: ignore[operator]
        lambda: [1.0] * Value(2.0),  # type: ignore[operator]
        lambda: Value(1.0) - 1j,  # type: ignore[operator]
        lambda: Value(2.0) ** "2",  # type: ignore[operator]
        lambda: Value(1.0) / True,
    ],
)
def test_non_numbers_in_arithmetic_raise_type_error_naming_the_op(compute):
    with pytest.raises(TypeError, match=r"(add|sub|mul|div|pow): expected a real number, got"):
        compute()


def test_comparison_with_a_non_number_raises_type_error():
    with pytest.raises(TypeError, match="str"):
        _ = Value(1.0) < "a"


def test_a_failed_op_leaves_its_inputs_untouched():
    x = Value(-1.0)
    with pytest.raises(ValueError):
        x.log()
    assert (x.data, x.grad, x._prev) == (-1.0, 0.0, set())


# -- errors during backward ----------------------------------------------------------


def test_undefined_derivative_names_the_op():
    x = Value(0.0)
    y = x.sqrt()
    with pytest.raises(ZeroDivisionError, match=r"sqrt\(0\.0\).*derivative"):
        y.backward()
    with pytest.raises(ZeroDivisionError, match=r"sqrt\(0\.0\).*derivative"):
        grad(y, [x])


def test_undefined_derivative_with_zero_upstream_gradient_is_fine():
    x = Value(0.0)
    (x.sqrt() * 0.0).backward()
    assert x.grad == 0.0


def test_exponent_gradient_of_a_negative_base_is_an_error_naming_pow():
    x, w = Value(-2.0), Value(2.0)
    with pytest.raises(ValueError, match=r"pow\(-2\.0, 2\.0\)"):
        (x**w).backward()


@pytest.mark.parametrize("through_grad", [False, True])
def test_gradient_overflow_raises_and_leaves_grads_finite(through_grad):
    x = Value(1e-200)
    y = 1 / x  # fine forward (1e200); dy/dx = -1e400 overflows
    with pytest.raises(OverflowError, match=r"div"):
        if through_grad:
            grad(y, [x])
        else:
            y.backward()
    assert math.isfinite(x.grad)


def test_accumulated_leaf_gradient_overflow_keeps_the_last_finite_gradient():
    x = Value(1.0)
    y = x * 1e308
    y.backward()
    with pytest.raises(OverflowError):
        y.backward()
    assert x.grad == 1e308


def test_messages_are_single_readable_lines():
    try:
        Value(-1.0).log()
    except ValueError as error:
        message = str(error)
    assert "\n" not in message and re.search(r"log\(-1\.0\): .*x > 0", message)
