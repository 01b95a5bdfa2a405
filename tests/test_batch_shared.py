"""The shared part of a batched program (nodes that depend on no sample) runs as numpy
steps of its own and still equals the scalar engine, with errors that name the op."""

from __future__ import annotations

import math

import numpy as np
import pytest
from batch_reference import RTOL, assert_close, scalar_reference
from hypothesis import event, given, settings
from hypothesis import strategies as st

from engine import Value, grad
from engine.batch import compile_batch
from engine.testing import Expression, expressions

# -- random graphs: a deep shared expression feeding a per-sample one ---------------------


@st.composite
def layered_graphs(draw):
    """A shared expression over parameters, and a per-sample expression whose leaves
    are sample inputs or (shifted) terms of the shared one; plus a batch."""
    shared: Expression = draw(expressions(max_inputs=3, max_ops=8))
    sample: Expression = draw(expressions(max_inputs=4, max_ops=6))
    shared_terms = len(shared.inputs) + len(shared.applications)
    choice = [draw(st.none() | st.integers(0, shared_terms - 1)) for _ in sample.inputs]
    size = draw(st.integers(1, 5))
    wiggle = st.floats(-0.03, 0.03)
    batch = [[x * (1 + draw(wiggle)) + draw(wiggle)
              for x, c in zip(sample.inputs, choice) if c is None] for _ in range(size)]
    return shared, sample, choice, batch


def layered_build(shared, sample, choice):
    """A builder (sample inputs, params) -> (loss, [a shared term, the loss's input]).

    A leaf of ``sample`` taken from the shared expression is ``term + offset``, the
    offset fixed when first built so that it starts at the value ``sample`` drew."""
    offsets = {}

    def build(xs, ps):
        terms = list(ps)
        shared.build(ps, apply=lambda op, *args: terms.append(op(*args)) or terms[-1])
        inputs = iter(xs)
        leaves = []
        for k, c in enumerate(choice):
            if c is None:
                leaves.append(next(inputs))
            else:
                offsets.setdefault(k, sample.inputs[k] - terms[c].data)
                leaves.append(terms[c] + offsets[k])
        loss = sample.build(leaves)
        return loss, [terms[-1]]

    return build


@given(layered_graphs(), st.sampled_from(["mean", "sum"]))
@settings(max_examples=60)
def test_deep_shared_parts_match_the_scalar_engine(case, reduction):
    shared, sample, choice, batch = case
    build = layered_build(shared, sample, choice)
    ps = [Value(v) for v in shared.inputs]
    xs = [Value(v) for v in batch[0]]
    loss, reported = build(xs, ps)
    program = compile_batch(loss, inputs=xs, params=ps, outputs=reported)
    event(f"shared steps: {min(program.stats.shared_steps, 3)}+")

    scalar_error = None
    try:
        losses, outs, grads = scalar_reference(build, batch, shared.inputs, len(reported))
    except (ArithmeticError, ValueError) as error:  # a nearby sample left a domain
        scalar_error = error
    data = np.array(batch).reshape(len(batch), len(xs))
    if scalar_error is not None:
        with pytest.raises((ArithmeticError, ValueError)):
            program(data, reduction=reduction)
        return
    result = program(data, reduction=reduction)
    reduce = np.mean if reduction == "mean" else np.sum
    assert_close(result.losses, losses)
    assert_close(result.outputs, outs)
    assert math.isclose(result.loss, float(reduce(losses)), rel_tol=RTOL, abs_tol=RTOL)
    assert_close(result.grads, reduce(grads, axis=0))


# -- an L2 penalty: a program with no inputs at all ---------------------------------------


def penalty_program(count, alpha=1e-4):
    ps = [Value(0.01 * k - 1.0) for k in range(count)]
    penalty = alpha * sum(p * p for p in ps)
    return ps, penalty, compile_batch(penalty, inputs=[], params=ps)


def test_an_l2_penalty_runs_as_three_steps_and_equals_the_scalar_engine():
    ps, penalty, program = penalty_program(300)
    assert program.stats.steps == 0  # nothing depends on a sample
    assert program.stats.shared_steps == 3  # every p * p, the fused sum, times alpha
    result = program(np.empty((1, 0)))
    assert math.isclose(result.loss, penalty.data, rel_tol=1e-12)
    assert_close(result.grads, [g.data for g in grad(penalty, ps)])
    assert_close(result.grads, [2e-4 * p.data for p in ps])


def test_an_l2_penalty_reads_the_parameters_afresh():
    ps, _, program = penalty_program(50)
    for p in ps:
        p.data = 3.0 - p.data
    result = program(np.empty((1, 0)))
    data = np.array([p.data for p in ps])
    assert math.isclose(result.loss, 1e-4 * float(data @ data), rel_tol=1e-12)
    assert_close(result.grads, 2e-4 * data)


def test_a_program_without_inputs_repeats_its_loss_for_every_row():
    ps, penalty, program = penalty_program(10)
    result = program(np.empty((3, 0)), reduction="sum")
    assert result.losses.tolist() == [result.losses[0]] * 3
    assert math.isclose(result.loss, 3 * penalty.data, rel_tol=1e-12)
    assert_close(result.grads, [3 * g.data for g in grad(penalty, ps)])
    assert program(np.empty((3, 0)), grad=False).grads is None


def test_a_shared_output_is_reported_for_every_sample():
    x, w = Value(1.0), Value(3.0)
    scale = (w * w).tanh()
    program = compile_batch(scale * x, inputs=[x], params=[w], outputs=[scale])
    result = program([[1.0], [2.0]], reduction="sum")
    assert_close(result.outputs.ravel(), [math.tanh(9.0)] * 2)
    assert_close(result.grads, [3.0 * 6.0 * (1 - math.tanh(9.0) ** 2)])


# -- errors in the shared part name the op, and no batch sample ----------------------------


def shared_program(make):
    x, w = Value(1.0), Value(2.0)
    return w, compile_batch(make(w) * x, inputs=[x], params=[w])


def test_a_log_of_a_negative_parameter_names_the_op():
    w, program = shared_program(lambda w: w.log())
    w.data = -2.0
    with pytest.raises(ValueError, match=r"^log\(-2\.0\): ") as caught:
        program([[1.0], [2.0]])
    assert "sample" not in str(caught.value)


def test_an_overflow_in_the_shared_part_names_the_op():
    w, program = shared_program(lambda w: (w * 2.0).exp())
    w.data = 500.0
    with pytest.raises(OverflowError, match=r"^exp\(1000\.0\)"):
        program([[1.0]])


def test_a_division_by_zero_in_the_shared_part_names_the_op():
    w, program = shared_program(lambda w: 1.0 / (w - 1.0) + w)
    w.data = 1.0
    with pytest.raises(ZeroDivisionError, match=r"^div\(1\.0, 0\.0\)"):
        program([[1.0]])


def test_an_infinite_gradient_in_the_shared_part_names_the_op():
    w, program = shared_program(lambda w: (w * w).sqrt())
    w.data = 0.0
    assert program([[2.0]], grad=False).losses.tolist() == [0.0]  # fine going forward
    with pytest.raises(OverflowError, match=r"^sqrt\(0\.0\): gradient through input 0 is inf$"):
        program([[2.0]])
