"""Batched mode fuses only ops declared affine: constant derivatives alone do not
make an op affine (issue: a straight-through rounding op came out unrounded)."""

from __future__ import annotations

from batch_reference import assert_batched_equals_scalar

from engine import Value, define_op
from engine.testing import temporary_ops


def test_a_straight_through_rounding_op_is_rounded_in_batched_mode() -> None:
    with temporary_ops():
        ste_round = define_op("ste_round", lambda x: float(round(x)), [1.0])
        assert not ste_round.affine

        def build(xs: list[Value], ps: list[Value]) -> tuple[Value, list[Value]]:
            out = ste_round(xs[0] * ps[0])
            return out * 1.0, [out]

        result = assert_batched_equals_scalar(build, [[0.4], [1.6], [2.7]], [1.0], outputs=1)
        assert result.outputs[:, 0].tolist() == [0.0, 2.0, 3.0]


def test_nn_step_activation_matches_the_scalar_engine_in_batched_mode() -> None:
    import nn  # noqa: F401  (registers the step op)
    from engine import REGISTRY

    step = REGISTRY["step"]

    def build(xs: list[Value], ps: list[Value]) -> tuple[Value, list[Value]]:
        out = step(xs[0] + ps[0])
        return out + ps[0] * ps[0], [out]

    result = assert_batched_equals_scalar(build, [[-1.0], [0.5], [-2.0]], [0.25], outputs=1)
    assert result.outputs[:, 0].tolist() == [0.0, 1.0, 0.0]


def test_the_builtin_affine_ops_are_declared() -> None:
    from engine import ops

    assert {op.name for op in (ops.add, ops.sub, ops.neg, ops.mul) if op.affine} == {
        "add", "sub", "neg", "mul"}
    assert not ops.exp.affine and not ops.relu.affine
