"""The ``Value`` node itself: construction, fields, operators with plain numbers,
comparisons and identity, constants, recording modes and name scopes."""

from __future__ import annotations

import asyncio
import math
import operator
import threading

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import REGISTRY, Constant, Value, enable_grad, name_scope, no_grad
from engine.mode import current_scope, is_grad_enabled

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)

# -- construction and fields (micrograd / lecture compatible) ---------------


def test_constructor_takes_micrograd_and_lecture_arguments():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = Value(-6.0, (a, b), "*", label="c")
    assert (c.data, c.grad, c.label, c._op) == (-6.0, 0.0, "c", "*")
    assert c._prev == {a, b}
    assert isinstance(c._prev, set)
    positional = Value(1.0, (), "", "x")
    assert (positional.label, positional._prev, positional._op) == ("x", set(), "")


@given(st.one_of(st.integers(-(10**15), 10**15), finite))
def test_data_is_a_float_and_grad_starts_at_zero(x):
    v = Value(x)
    assert type(v.data) is float and v.data == float(x)
    assert type(v.grad) is float and v.grad == 0.0


@pytest.mark.parametrize(
    "number", [np.float64(2.5), np.float32(2.5), np.int64(2), np.int8(-3), np.uint16(7)]
)
def test_numpy_scalars_become_plain_floats(number):
    v = Value(number)
    assert type(v.data) is float and v.data == float(number)


def test_data_and_grad_can_be_set_and_stay_floats():
    v = Value(1.0)
    v.data += -0.1 * 3  # the SGD update users write
    v.grad = 0  # micrograd's zero_grad assigns an int
    assert type(v.data) is float and math.isclose(v.data, 0.7)
    assert type(v.grad) is float and v.grad == 0.0
    v.data = np.float64(4.0)
    assert type(v.data) is float and v.data == 4.0


def test_repr_shows_data_and_grad():
    v = Value(2.5)
    v.grad = -1.25
    assert repr(v) == "Value(data=2.5, grad=-1.25)"


def test_label_is_assignable_as_in_the_lecture():
    a = Value(2.0)
    e = a * a
    e.label = "e"
    assert e.label == "e" and a.label == ""


@pytest.mark.parametrize(
    ("make", "op_name"),
    [
        (lambda a, b: a + b, "add"),
        (lambda a, b: a - b, "sub"),
        (lambda a, b: a * b, "mul"),
        (lambda a, b: a / b, "div"),
        (lambda a, b: a**b, "pow"),
        (lambda a, b: a**2, "pow"),
        (lambda a, b: 2**a, "pow"),
        (lambda a, b: -a, "neg"),
        (lambda a, b: abs(a), "abs"),
        (lambda a, b: a.exp(), "exp"),
        (lambda a, b: a.log(), "log"),
        (lambda a, b: a.sqrt(), "sqrt"),
        (lambda a, b: a.tanh(), "tanh"),
        (lambda a, b: a.sigmoid(), "sigmoid"),
        (lambda a, b: a.relu(), "relu"),
        (lambda a, b: a.gelu(), "gelu"),
        (lambda a, b: a.softplus(), "softplus"),
        (lambda a, b: a.sin(), "sin"),
        (lambda a, b: a.cos(), "cos"),
        (lambda a, b: a.erf(), "erf"),
        (lambda a, b: a.abs(), "abs"),
    ],
)
def test_op_symbol_and_children_come_from_the_registry(make, op_name):
    a, b = Value(1.5), Value(0.5)
    out = make(a, b)
    assert out._op == REGISTRY[op_name].symbol
    assert out.op is REGISTRY[op_name]
    assert a in out._prev
    assert out._prev == set(out.children)
    assert not out.is_leaf


def test_leaves_have_no_op_and_no_children():
    v = Value(3.0)
    assert v._op == "" and v._prev == set() and v.children == () and v.is_leaf and v.op is None


def test_hand_built_node_keeps_its_symbol_but_passes_no_gradient():
    # micrograd's constructor: a node named by hand has no backward of its own.
    a, b = Value(2.0), Value(3.0)
    c = Value(5.0, (a, b), "+")
    assert c._op == "+" and c._prev == {a, b}
    c.backward()
    assert (c.grad, a.grad, b.grad) == (1.0, 0.0, 0.0)


# -- arithmetic with plain numbers on either side ----------------------------

BINARY = [operator.add, operator.sub, operator.mul, operator.truediv, operator.pow]
NUMBER_TYPES = [int, float, np.float64, np.float32, np.int64]


@pytest.mark.parametrize("fn", BINARY, ids=lambda f: f.__name__)
@pytest.mark.parametrize("kind", NUMBER_TYPES, ids=lambda k: k.__name__)
def test_numbers_on_either_side_give_values(fn, kind):
    v = Value(3.0)
    number = kind(2)
    left, right = fn(v, number), fn(number, v)
    assert type(left) is Value and type(right) is Value
    assert left.data == fn(3.0, 2.0) and right.data == fn(2.0, 3.0)
    assert type(left.data) is float and type(right.data) is float


@given(finite, finite)
def test_arithmetic_matches_float_arithmetic(x, y):
    a, b = Value(x), Value(y)
    assert (a + b).data == x + y and (a - b).data == x - y and (a * b).data == x * y
    assert (a + y).data == x + y and (x - b).data == x - y and (x * b).data == x * y
    assert (-a).data == -x and (+a) is a and abs(a).data == abs(x)
    if y != 0 and math.isfinite(x / y):  # a subnormal y can overflow the quotient
        assert (a / b).data == x / y and (x / b).data == x / y


def test_power_with_number_and_value_exponents():
    v, w = Value(2.0), Value(3.0)
    assert (v**2).data == 4.0 and (v**w).data == 8.0 and (2**v).data == 4.0
    assert (v**-1).data == 0.5 and (Value(4.0) ** 0.5).data == 2.0
    assert (Value(-2.0) ** 3).data == -8.0


@pytest.mark.parametrize(
    ("method", "reference", "x"),
    [
        ("exp", math.exp, 0.7),
        ("log", math.log, 0.7),
        ("sqrt", math.sqrt, 0.7),
        ("tanh", math.tanh, -0.7),
        ("sigmoid", lambda x: 1 / (1 + math.exp(-x)), -0.7),
        ("relu", lambda x: max(x, 0.0), -0.7),
        ("relu", lambda x: max(x, 0.0), 0.7),
        ("gelu", lambda x: x * 0.5 * (1 + math.erf(x / math.sqrt(2))), -0.7),
        ("softplus", lambda x: math.log(1 + math.exp(x)), -0.7),
        ("sin", math.sin, 0.7),
        ("cos", math.cos, 0.7),
        ("abs", abs, -0.7),
        ("erf", math.erf, 0.7),
    ],
)
def test_unary_methods_compute_the_function(method, reference, x):
    out = getattr(Value(x), method)()
    assert type(out) is Value
    assert math.isclose(out.data, reference(x), rel_tol=1e-12, abs_tol=1e-15)


def test_sum_of_values_starts_from_zero():
    values = [Value(1.0), Value(2.5), Value(-0.5)]
    assert sum(values).data == 3.0
    assert sum(values, Value(1.0)).data == 4.0


def test_numpy_does_not_swallow_values():
    # __array_ufunc__ = None: numpy scalars defer to our reflected operators.
    v = Value(3.0)
    for out in (np.float64(2) * v, np.float64(2) + v, np.int64(2) - v, np.float32(2) / v):
        assert type(out) is Value
    assert (np.float64(2) * v).data == 6.0 and (np.float64(2) ** v).data == 8.0


# -- comparisons look at data; equality and hashing stay identity -----------


@given(finite, finite)
def test_comparisons_compare_data(x, y):
    a, b = Value(x), Value(y)
    assert (a < b, a <= b, a > b, a >= b) == (x < y, x <= y, x > y, x >= y)
    assert (a < y, a <= y, a > y, a >= y) == (x < y, x <= y, x > y, x >= y)
    assert (x < b, x <= b, x > b, x >= b) == (x < y, x <= y, x > y, x >= y)


def test_comparisons_with_numpy_scalars_and_sorting():
    a, b, c = Value(1.0), Value(3.0), Value(2.0)
    assert np.float64(2.0) < b and np.float64(2.0) > a and a < np.int64(2)
    assert sorted([a, b, c]) == [a, c, b]
    assert max([a, b, c]) is b


def test_equality_and_hash_are_identity():
    a, b = Value(1.0), Value(1.0)
    assert a == a and a != b and not (a == 1.0)
    assert hash(a) == object.__hash__(a)
    assert len({a, b}) == 2
    table = {a: "a", b: "b"}
    a.data = 5.0  # changing data must not move a key
    assert table[a] == "a" and table[b] == "b"
    assert a in {a} and Value(1.0) not in {a, b}


# -- leaves and constants ------------------------------------------------------


def test_plain_numbers_become_constants_that_get_no_gradient():
    x = Value(3.0)
    y = x * 2
    (const,) = y._prev - {x}
    assert type(const) is Constant and isinstance(const, Value)
    assert const.data == 2.0 and const.is_leaf
    y.backward()
    assert x.grad == 2.0 and const.grad == 0.0


def test_a_value_operand_is_a_leaf_that_gets_its_gradient():
    x, two = Value(3.0), Value(2.0)
    y = x * two
    y.backward()
    assert type(two) is Value and two.grad == 3.0 and x.grad == 2.0


# -- no_grad / enable_grad -----------------------------------------------------


def test_no_grad_records_no_parents():
    x = Value(2.0)
    with no_grad():
        assert not is_grad_enabled()
        y = x * 3 + 1
        z = y.tanh()
    assert is_grad_enabled()
    assert y.is_leaf and y._prev == set() and y._op == "" and y.data == 7.0
    z.backward()
    assert x.grad == 0.0 and z.grad == 1.0


def test_enable_grad_inside_no_grad_and_exceptions_restore_state():
    x = Value(2.0)
    with no_grad(), enable_grad():
        y = x * x
    assert y._prev == {x}
    with pytest.raises(RuntimeError), no_grad():
        raise RuntimeError("boom")
    assert is_grad_enabled()


def test_no_grad_in_one_thread_does_not_leak_into_another():
    x = Value(2.0)
    inside, outside = threading.Barrier(2), threading.Barrier(2)
    made: dict[str, Value] = {}

    def quiet_thread() -> None:
        with no_grad():
            inside.wait()  # the main thread computes while we are in no_grad
            outside.wait()
            made["thread"] = x * 2

    worker = threading.Thread(target=quiet_thread)
    worker.start()
    inside.wait()
    made["main"] = x * 2
    outside.wait()
    worker.join()
    assert x in made["main"]._prev
    assert made["thread"].is_leaf


def test_a_new_thread_starts_recording_and_sees_no_scope():
    seen: list[tuple[bool, str]] = []
    with no_grad(), name_scope("outer"):
        thread = threading.Thread(target=lambda: seen.append((is_grad_enabled(), current_scope())))
        thread.start()
        thread.join()
    assert seen == [(True, "")]


def test_no_grad_is_private_to_each_asyncio_task():
    x = Value(2.0)

    async def quiet() -> Value:
        with no_grad():
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            return x * 2

    async def loud() -> Value:
        await asyncio.sleep(0)  # runs while `quiet` sits inside no_grad
        return x * 2

    async def main() -> tuple[Value, Value]:
        a, b = await asyncio.gather(quiet(), loud())
        return a, b

    quiet_out, loud_out = asyncio.run(main())
    assert quiet_out.is_leaf
    assert x in loud_out._prev
    assert is_grad_enabled()


# -- name scopes ----------------------------------------------------------------


def test_name_scopes_nest_with_dots():
    x = Value(1.0)
    with name_scope("layers"):
        with name_scope("1"):
            with name_scope("neurons"), name_scope("3"):
                inner = x * 2
                assert current_scope() == "layers.1.neurons.3"
            middle = x + 1
        outer = x - 1
    top = x * x
    assert inner.scope == "layers.1.neurons.3"
    assert middle.scope == "layers.1" and outer.scope == "layers" and top.scope == ""
    assert x.scope == "" and current_scope() == ""


def test_constants_and_no_grad_nodes_carry_the_scope_too():
    x = Value(1.0)
    with name_scope("head"):
        y = x * 2
        with no_grad():
            z = x * 3
    (const,) = y._prev - {x}
    assert const.scope == "head" and z.scope == "head"


@pytest.mark.parametrize("bad", ["", None, 3])
def test_name_scope_rejects_bad_names(bad):
    with pytest.raises(ValueError, match="name_scope"):
        name_scope(bad)


def test_maximum_passes_the_gradient_to_the_larger_input() -> None:
    from engine import ops

    a, b = Value(1.0), Value(3.0)
    m = ops.maximum(a, b) * 2
    m.backward()
    assert (m.data, a.grad, b.grad) == (6.0, 0.0, 2.0)
    c, d = Value(2.0), Value(2.0)
    ops.maximum(c, d).backward()
    assert (c.grad, d.grad) == (1.0, 0.0)  # a tie goes to the first input
