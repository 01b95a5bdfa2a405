"""A fuzz suite of our own: generated bad input thrown at ``Value``, every
registered op, ``define_op``, ``Domain``, ``compile_batch`` and its programs,
``engine.grad``, ``name_scope`` and ``gradcheck``.

The policy (README, "Errors"): bad input gets a named exception of a
documented kind — ``TypeError``, ``ValueError``, ``OverflowError`` or
``ZeroDivisionError`` — whose message names the function or op and is at most
``MESSAGE_LIMIT`` characters; otherwise the result is a finite, correct
number. Never a hang (each call gets ``SECONDS``), never another exception
from deep inside (``AttributeError``, ``KeyError``, ``RecursionError`` ...).
Hypothesis runs derandomized in CI (the ``ci`` profile in conftest.py).
"""

from __future__ import annotations

import math
import operator
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn  # noqa: F401  (registers nn's ops before collection)
from engine import REGISTRY, Constant, Domain, Op, Value, define_op, grad, name_scope
from engine.batch import compile_batch
from engine.testing import gradcheck, temporary_ops

MESSAGE_LIMIT = 300
SECONDS = 10
DOCUMENTED = (TypeError, ValueError, OverflowError, ZeroDivisionError)
OPS = list(REGISTRY.values())


class BrokenRepr:
    """An object whose repr and float conversion both fail."""

    def __repr__(self) -> str:
        raise RuntimeError("broken repr")

    def __float__(self) -> float:
        raise RuntimeError("broken float")


def _huge_ints() -> st.SearchStrategy[int]:
    return st.builds(lambda sign, digits: sign * 10**digits,
                     st.sampled_from([1, -1]), st.integers(300, 5000))


BAD = st.one_of(
    st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -1e308, 5e-324, 0.0, -0.0]),
    _huge_ints(),
    st.complex_numbers(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.just("x" * 1_000_000),
    st.booleans(),
    st.none(),
    st.sampled_from([np.float64("nan"), np.float64(2.5), np.int64(7), np.bool_(True),
                     np.float32(1e38), np.complex128(1 + 1j), np.uint8(255)]),
    st.sampled_from([np.array([1.0, 2.0]), np.array([[1.0]]), np.array([]),
                     np.array(["a"]), np.array([1 + 2j])]),
    st.sampled_from([[1.0], (1.0,), {"a": 1.0}, {1.0}, b"1.0", BrokenRepr(), object(),
                     Constant, Value, float, print]),
    st.builds(Value, st.floats(-10, 10)),
    st.builds(lambda: Value(1.0, (), "+")),  # a hand-built node
    st.builds(lambda: (Value(1.0) * 2.0).children[1]),  # a Constant
    st.builds(lambda: Value(1.0) * 2.0),  # a computed node
)
"""Inputs a careless or adversarial caller might pass anywhere."""


@contextmanager
def _deadline(seconds: int = SECONDS) -> Iterator[None]:
    """Fail instead of hanging (SIGALRM, where the platform has it)."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def hang(signum: int, frame: Any) -> None:
        raise AssertionError(f"the call did not return within {seconds} s")

    previous = signal.signal(signal.SIGALRM, hang)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def obeys_policy(call: Callable[[], Any], *names: str) -> Any:
    """Run ``call``: return its result, or check the exception it raised is of a
    documented kind, short, and names one of ``names`` (then return None)."""
    try:
        with _deadline():
            return call()
    except DOCUMENTED as error:
        message = str(error)
        if len(message) > MESSAGE_LIMIT or not any(name in message for name in names):
            pytest.fail(f"{type(error).__name__} of {len(message)} characters not naming "
                        f"{' or '.join(names)}: {message[:400]}")
        return None


def _is_finite_float(x: Any) -> bool:
    return type(x) is float and math.isfinite(x)


# -- Value and its operators --------------------------------------------------------------


@given(BAD)
def test_value_takes_only_finite_real_numbers(bad: Any) -> None:
    v = obeys_policy(lambda: Value(bad), "Value")
    if v is not None:
        assert _is_finite_float(v.data) and v.data == float(bad)


@given(BAD, st.sampled_from(["data", "grad"]))
def test_data_and_grad_stay_finite_floats(bad: Any, field: str) -> None:
    v = Value(1.0)
    obeys_policy(lambda: setattr(v, field, bad), f"Value.{field}")
    assert _is_finite_float(getattr(v, field))


OPERATORS = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv,
    "pow": operator.pow,
}


@given(BAD, st.sampled_from(sorted(OPERATORS)), st.booleans())
def test_value_operators_name_their_op(bad: Any, name: str, reflected: bool) -> None:
    apply = OPERATORS[name]
    v = Value(1.5)
    call = (lambda: apply(bad, v)) if reflected else (lambda: apply(v, bad))
    result = obeys_policy(call, name, "unsupported operand")
    if isinstance(result, Value):
        assert _is_finite_float(result.data)


@given(BAD, st.sampled_from([operator.lt, operator.le, operator.gt, operator.ge]))
def test_comparisons_are_exact_or_refused(bad: Any, compare: Callable[[Any, Any], Any]) -> None:
    result = obeys_policy(lambda: compare(Value(2.0), bad), "compare", "not supported")
    if result is not None:
        assert isinstance(result, (bool, np.bool_))


# -- every registered op ------------------------------------------------------------------


@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
@settings(max_examples=40)
@given(bad=BAD, data=st.data())
def test_every_op_names_itself_for_bad_operands(op: Op, bad: Any, data) -> None:
    position = data.draw(st.integers(0, op.arity - 1), label="position")
    as_value = data.draw(st.booleans(), label="other operands as Values")
    args = [Value(1.5) if as_value else 1.5 for _ in range(op.arity)]
    args[position] = bad
    result = obeys_policy(lambda: op(*args), op.name)
    if isinstance(result, Value):
        assert _is_finite_float(result.data)
        expected = op.evaluate(*[a.data if isinstance(a, Value) else float(a) for a in args])
        assert result.data == expected
    elif isinstance(result, float):
        assert math.isfinite(result)


@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
@settings(max_examples=40)
@given(xs=st.lists(st.one_of(st.floats(allow_nan=False, allow_infinity=False), _huge_ints()),
                   min_size=2, max_size=2))
def test_every_op_at_extreme_numbers_gives_a_finite_result_or_a_named_error(op: Op,
                                                                            xs: list) -> None:
    leaves = [Value(x) for x in xs[: op.arity]] if all(abs(x) < 1e308 for x in xs) else None
    if leaves is None:
        obeys_policy(lambda: op(*xs[: op.arity]), op.name)
        return
    out = obeys_policy(lambda: op(*leaves), op.name)
    if out is not None:
        assert _is_finite_float(out.data)
        gradients = obeys_policy(lambda: grad(out, leaves), op.name)
        if gradients is not None:
            assert all(_is_finite_float(g.data) for g in gradients)


# -- define_op and Domain -----------------------------------------------------------------


DEFINE_ARGUMENTS = ["name", "forward", "derivatives", "symbol", "domains", "doc",
                    "array_forward", "affine"]


@given(st.sampled_from(DEFINE_ARGUMENTS), BAD)
def test_define_op_names_itself_for_bad_arguments(argument: str, bad: Any) -> None:
    kwargs: dict[str, Any] = {"name": "fuzzed_op", "forward": lambda x: 2.0 * x,
                              "derivatives": [2.0], "symbol": "f", "domains": [Domain()],
                              "doc": "twice", "array_forward": None, "affine": False}
    kwargs[argument] = bad
    with temporary_ops():
        op = obeys_policy(lambda: define_op(**kwargs), "define_op", "Domain")
        if op is not None:  # accepted: then it must work like any op
            assert op(Value(1.5)).data == 3.0


@given(BAD, st.sampled_from(["low", "high", "avoid"]))
def test_domain_names_itself_for_bad_fields(bad: Any, field: str) -> None:
    domain = obeys_policy(lambda: Domain(**{field: bad}), "Domain")
    if domain is not None:
        assert domain.low < domain.high


def _raises_a_long_message(x: float) -> float:
    raise ValueError("y" * 1_000_000)


@given(st.sampled_from([
    lambda x: None, lambda x: "2", lambda x: 2j, lambda x: Value(1.0), lambda x: [x],
    lambda x: {}[x], lambda x: x.nope, lambda x: 1 / 0, lambda x: math.inf, lambda x: 10**400,
    lambda x: np.float64("nan"), lambda x: np.array([x, x]), _raises_a_long_message,
]), st.booleans())
def test_failing_user_forwards_and_derivatives_are_named(function: Callable[..., Any],
                                                         as_derivative: bool) -> None:
    with temporary_ops():
        if as_derivative:
            op = define_op("user_fuzzed", lambda x: 2.0 * x, [function])
        else:
            op = define_op("user_fuzzed", function, [2.0])
        x = Value(1.5)
        try:
            with _deadline():
                op(x).backward()
        except Exception as error:  # the user's own exception type is kept, but named
            message = str(error)
            assert "user_fuzzed" in message and len(message) <= MESSAGE_LIMIT, message[:400]
        assert _is_finite_float(x.grad)


# -- compile_batch, programs, grad, name_scope, gradcheck -------------------------------


def _graph() -> tuple[Value, Value, Value]:
    x, w = Value(0.5), Value(2.0)
    return (w * x).tanh(), x, w


@given(st.sampled_from(["loss", "inputs", "params", "outputs"]), BAD,
       st.booleans())
def test_compile_batch_names_itself_for_bad_arguments(argument: str, bad: Any,
                                                      in_a_list: bool) -> None:
    loss, x, w = _graph()
    kwargs: dict[str, Any] = {"loss": loss, "inputs": [x], "params": [w], "outputs": []}
    kwargs[argument] = [bad] if in_a_list and argument != "loss" else bad
    program = obeys_policy(lambda: compile_batch(**kwargs), "compile_batch")
    if program is not None:  # e.g. an empty string taken as no outputs
        result = program(np.full((2, len(program.inputs)), 0.25))
        assert np.isfinite(result.losses).all()


@given(st.one_of(BAD, st.lists(st.lists(BAD, min_size=1, max_size=2), min_size=1, max_size=3)),
       st.sampled_from(["mean", "sum", "bad", None]))
def test_a_program_names_itself_for_bad_batches(batch: Any, reduction: Any) -> None:
    loss, x, w = _graph()
    program = compile_batch(loss, inputs=[x], params=[w])
    result = obeys_policy(lambda: program(batch, reduction=reduction), "BatchProgram")
    if result is not None:
        assert np.isfinite(result.losses).all() and np.isfinite(result.grads).all()
        rows = np.asarray(batch, dtype=float)
        expected = [math.tanh(2.0 * float(r)) for r in rows[:, 0]]
        np.testing.assert_allclose(result.losses, expected, rtol=1e-12)


@given(st.sampled_from(["output", "inputs", "create_graph"]), BAD, st.booleans())
def test_grad_names_itself_for_bad_arguments(argument: str, bad: Any, in_a_list: bool) -> None:
    loss, x, w = _graph()
    kwargs: dict[str, Any] = {"output": loss, "inputs": [x, w], "create_graph": False}
    kwargs[argument] = [bad] if in_a_list and argument == "inputs" else bad
    result = obeys_policy(lambda: grad(**kwargs), "grad")
    if result is not None:
        assert all(isinstance(g, Value) and _is_finite_float(g.data) for g in result)


@given(BAD)
def test_name_scope_names_itself(bad: Any) -> None:
    def enter() -> str:
        with name_scope(bad):
            return Value(1.0).scope

    scope = obeys_policy(enter, "name_scope")
    if scope is not None:
        assert scope == bad


@given(st.sampled_from(["f", "inputs", "eps", "atol", "rtol"]), BAD, st.booleans())
def test_gradcheck_names_itself_for_bad_arguments(argument: str, bad: Any,
                                                  in_a_list: bool) -> None:
    kwargs: dict[str, Any] = {"f": lambda x: x.tanh(), "inputs": [0.5], "eps": 1e-3,
                              "atol": 1e-5, "rtol": 1e-3}
    kwargs[argument] = [bad] if in_a_list and argument == "inputs" else bad
    try:
        verdict = obeys_policy(lambda: gradcheck(**kwargs), "gradcheck", "f must", "tanh")
    except AssertionError as failed:  # a verdict, e.g. a tiny rtol: it must stay readable
        assert str(failed).startswith("gradcheck:"), str(failed)[:400]
        return
    assert verdict in (True, None)
