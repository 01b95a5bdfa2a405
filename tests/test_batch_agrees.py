"""Batched mode and the scalar engine agree on every registered op, user ops
included (constant-derivative, output-taking, declared-affine, with and without
``array_forward``), over generated batches; and an ``array_forward`` that
disagrees with ``forward`` is caught (at compile time, or by
``engine.testing.check_array_forward``).

Tolerance: ``batch_reference.RTOL`` (1e-9 relative to the largest magnitude):
numpy and the float path round differently only in the last bits.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np
import pytest
from batch_reference import assert_batched_equals_scalar
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import nn  # noqa: F401  (registers nn's ops, such as step, before collection)
from engine import REGISTRY, Domain, Op, Value, define_op, grad, ops
from engine.batch import compile_batch
from engine.testing import check_array_forward, magnitudes, op_inputs, temporary_ops

REGISTERED = list(REGISTRY.values())


def _softsign() -> Op:
    return define_op("user_softsign", lambda x: x / (1.0 + abs(x)),
                     [lambda x: 1.0 / (1.0 + ops.abs(x)) ** 2], domains=[Domain(avoid=(0.0,))],
                     array_forward=lambda x: x / (1.0 + np.abs(x)))


USER_OPS: dict[str, Callable[[], Op]] = {
    "ste_round": lambda: define_op("ste_round", lambda x: float(round(x)), [1.0],
                                   domains=[Domain(avoid=tuple(k + 0.5 for k in range(-20, 20)))]),
    "hard_clip": lambda: define_op("hard_clip", lambda x: min(max(x, -1.0), 1.0), [0.0],
                                   domains=[Domain(avoid=(-1.0, 1.0))]),
    "softsign": _softsign,
    "cube_from_output": lambda: define_op("cube_from_output", lambda x: x**3,
                                          [lambda x, out: 3.0 * out / x],
                                          domains=[Domain(avoid=(0.0,))]),
    "affine_mix": lambda: define_op("affine_mix", lambda a, b: 2.0 * a - 0.5 * b + 1.0,
                                    [2.0, -0.5], affine=True),
    "hypot": lambda: define_op("hypot", math.hypot, [lambda a, b, out: a / out,
                                                     lambda a, b, out: b / out],
                               domains=[Domain(avoid=(0.0,)), Domain(avoid=(0.0,))]),
}


def _rows(op: Op) -> st.SearchStrategy[list[tuple[float, ...]]]:
    """Batches of 1 to 6 samples: near 1, and at scales up to 1e3."""
    wide = st.tuples(*(magnitudes(d, smallest=1e-3, largest=1e3) for d in op.domains))
    return st.lists(st.one_of(op_inputs(op), wide), min_size=1, max_size=6)


def _finite(op: Op, row: tuple[float, ...]) -> bool:
    """Whether the scalar engine computes op and its gradient at row."""
    try:
        leaves = [Value(x) for x in row]
        grad(op(*leaves), leaves)
    except (ArithmeticError, ValueError):
        return False
    return True


def _agree(op: Op, rows: list[tuple[float, ...]]) -> None:
    rows = [row for row in rows if _finite(op, row)]
    assume(rows)

    def build(xs: list[Value], ps: list[Value]) -> tuple[Value, list[Value]]:
        out = op(*[x * p for x, p in zip(xs, ps)])  # p = 1: the op sees x exactly
        return out, [out]

    assert_batched_equals_scalar(build, [list(r) for r in rows], [1.0] * op.arity, outputs=1)


@pytest.mark.parametrize("op", REGISTERED, ids=[op.name for op in REGISTERED])
@settings(max_examples=25)
@given(data=st.data())
def test_batched_mode_agrees_with_the_scalar_engine_on_every_registered_op(op: Op,
                                                                         data) -> None:
    _agree(op, data.draw(_rows(op), label="batch"))


@pytest.mark.parametrize("make", USER_OPS.values(), ids=list(USER_OPS))
@settings(max_examples=25)
@given(data=st.data())
def test_batched_mode_agrees_with_the_scalar_engine_on_user_ops(make: Callable[[], Op],
                                                                data) -> None:
    with temporary_ops():
        op = make()
        _agree(op, data.draw(_rows(op), label="batch"))


def test_a_straight_through_op_is_not_fused_as_affine() -> None:
    with temporary_ops():
        op = USER_OPS["ste_round"]()
        x, p = Value(0.4), Value(1.0)
        out = op(x * p)
        result = compile_batch(out, inputs=[x], params=[p], outputs=[out])(
            [[0.4], [1.6], [2.7], [-3.2]])
        assert result.outputs[:, 0].tolist() == [0.0, 2.0, 3.0, -3.0]


# -- array_forward against forward ------------------------------------------------------


def _cut_off_cube() -> Op:
    """The issue's example: array_forward is 0 beyond |x| > 10, forward is not."""
    return define_op("cut_off_cube", lambda x: x**3, [lambda x: 3.0 * x * x],
                     array_forward=lambda x: np.where(np.abs(x) > 10, 0.0, x**3))


def test_an_array_forward_wrong_beyond_the_old_probes_fails_at_compile_time() -> None:
    with temporary_ops():
        cube = _cut_off_cube()
        x, p = Value(2.0), Value(1.0)
        with pytest.raises(ValueError, match=r"cut_off_cube: array_forward disagrees with "
                                             r"forward at 15\.0: 0\.0 on arrays, 3375\.0"):
            compile_batch(cube(x * p), inputs=[x], params=[p])


def test_check_array_forward_finds_the_disagreement_and_names_op_and_lane() -> None:
    with temporary_ops():
        cube = _cut_off_cube()
        with pytest.raises(AssertionError, match=r"check_array_forward: cut_off_cube on arrays "
                                                 r"gives 0\.0 at (-?[\d.e+]+), but forward gives"
                           ) as caught:
            check_array_forward(cube)
    where = float(re.search(r"gives 0\.0 at (\S+),", str(caught.value)).group(1))
    assert abs(where) > 10  # wherever hypothesis lands, it is where the two really disagree


def test_check_array_forward_finds_a_disagreement_between_the_probes() -> None:
    # wrong only on (4, 5): between two probe values, so compile_batch accepts it
    with temporary_ops():
        sneaky = define_op("sneaky_square", lambda x: x * x, [lambda x: 2.0 * x],
                           array_forward=lambda x: np.where((x > 4) & (x < 5), 0.0, x * x))
        with pytest.raises(AssertionError, match=r"sneaky_square on arrays gives 0\.0 at 4\."):
            check_array_forward(sneaky, max_examples=500)


@pytest.mark.parametrize("op", REGISTERED, ids=[op.name for op in REGISTERED])
def test_every_registered_op_passes_check_array_forward(op: Op) -> None:
    assert check_array_forward(op, max_examples=30)


@pytest.mark.parametrize(
    ("op", "max_examples", "error"),
    [("no_such_op", 10, ValueError), (3.0, 10, TypeError), ("exp", 0, ValueError),
     ("exp", True, ValueError)],
)
def test_check_array_forward_arguments_are_checked(op, max_examples, error) -> None:
    with pytest.raises(error, match="check_array_forward"):
        check_array_forward(op, max_examples=max_examples)
