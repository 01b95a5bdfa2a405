"""Batched mode equals the scalar engine, sample by sample, to float64 round-off."""

from __future__ import annotations

import math
import random
from itertools import pairwise

import numpy as np
from batch_reference import RTOL, assert_batched_equals_scalar, assert_close, scalar_reference
from hypothesis import event, given, settings
from hypothesis import strategies as st

from engine import Value, define_op
from engine.batch import compile_batch
from engine.testing import Expression, expressions, temporary_ops

# -- random graphs over every registered op ------------------------------------------


@st.composite
def batched_expressions(draw):
    """An expression, which of its leaves are per-sample inputs (the rest are
    parameters), which nodes to report, and a batch of nearby samples."""
    expr: Expression = draw(expressions(max_inputs=4, max_ops=10))
    n = len(expr.inputs)
    is_input = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    size = draw(st.integers(1, 6))
    wiggle = st.floats(-0.03, 0.03)
    batch = [
        [x * (1 + draw(wiggle)) + draw(wiggle) if flag else x
         for x, flag in zip(expr.inputs, is_input)]
        for _ in range(size)
    ]
    reported = draw(st.lists(st.integers(0, len(expr.applications) - 1), max_size=3, unique=True))
    return expr, is_input, batch, reported


def split_build(expr, is_input, reported):
    """A builder (sample inputs, params) -> (loss, reported nodes) for ``expr``."""

    def build(xs, ps):
        xs, ps = iter(xs), iter(ps)
        leaves = [next(xs) if flag else next(ps) for flag in is_input]
        terms = []
        loss = expr.build(leaves, apply=lambda op, *args: terms.append(op(*args)) or terms[-1])
        return loss, [terms[k] for k in reported]

    return build


@given(batched_expressions(), st.sampled_from(["mean", "sum"]))
@settings(max_examples=80)
def test_random_graphs_match_the_scalar_engine(case, reduction):
    expr, is_input, batch, reported = case
    build = split_build(expr, is_input, reported)
    inputs_of = [[x for x, flag in zip(sample, is_input) if flag] for sample in batch]
    param_data = [x for x, flag in zip(expr.inputs, is_input) if not flag]
    try:
        losses, outs, grads = scalar_reference(build, inputs_of, param_data, len(reported))
    except (ArithmeticError, ValueError) as error:  # a nearby sample left a domain
        scalar_error = error
    else:
        scalar_error = None

    xs = [Value(v) for v in inputs_of[0]]
    ps = [Value(v) for v in param_data]
    loss, extra = build(xs, ps)
    program = compile_batch(loss, inputs=xs, params=ps, outputs=extra)
    if scalar_error is not None:
        event("a sample left a domain: both engines must raise")
        try:
            program(np.array(inputs_of).reshape(len(batch), len(xs)), reduction=reduction)
        except (ArithmeticError, ValueError):
            return
        raise AssertionError(f"the scalar engine raised {scalar_error!r}; batched mode did not")
    result = program(np.array(inputs_of).reshape(len(batch), len(xs)), reduction=reduction)
    assert_close(result.losses, losses)
    assert_close(result.outputs, outs)
    reduce = np.mean if reduction == "mean" else np.sum
    assert math.isclose(result.loss, float(reduce(losses)), rel_tol=RTOL, abs_tol=RTOL)
    assert_close(result.grads, reduce(grads, axis=0) if len(ps) else np.zeros(0))


# -- MLP-shaped graphs ----------------------------------------------------------------


def mlp(xs, params, sizes, activation):
    """A plain-Value MLP: ``params`` is consumed in order (weights then bias per neuron)."""
    it = iter(params)
    for k, (n_in, n_out) in enumerate(pairwise(sizes)):
        last = k == len(sizes) - 2
        layer = []
        for _ in range(n_out):
            ws = [next(it) for _ in range(n_in)]
            act = sum((w * x for w, x in zip(ws, xs)), next(it))
            layer.append(act if last else getattr(act, activation)())
        xs = layer
    return xs


def mlp_param_count(sizes):
    return sum((a + 1) * b for a, b in pairwise(sizes))


@given(
    sizes=st.lists(st.integers(1, 5), min_size=2, max_size=4),
    activation=st.sampled_from(["relu", "tanh", "sigmoid", "gelu"]),
    size=st.integers(1, 8),
    seed=st.integers(0, 2**16),
    decay=st.sampled_from([0.0, 1e-2]),
)
@settings(max_examples=40)
def test_mlps_match_the_scalar_engine(sizes, activation, size, seed, decay):
    rng = random.Random(seed)
    n_in, n_out = sizes[0], sizes[-1]
    param_data = [rng.uniform(-1, 1) for _ in range(mlp_param_count(sizes))]
    batch = [[rng.uniform(-2, 2) for _ in range(n_in + n_out)] for _ in range(size)]

    def build(xs, ps):
        scores = mlp(xs[:n_in], ps, sizes, activation)
        loss = sum((s - t) ** 2 for s, t in zip(scores, xs[n_in:]))
        if decay:
            loss = loss + decay * sum(p * p for p in ps)
        return loss, scores

    assert_batched_equals_scalar(build, batch, param_data, n_out)


def test_parameter_updates_are_seen_between_calls():
    x, w = Value(1.0), Value(2.0)
    program = compile_batch((w * x).tanh(), inputs=[x], params=[w])
    batch = [[0.5], [-1.0]]
    before = program(batch, grad=False).losses
    w.data = -3.0
    after = program(batch).losses
    np.testing.assert_allclose(before, np.tanh([1.0, -2.0]), rtol=1e-15)
    np.testing.assert_allclose(after, np.tanh([-1.5, 3.0]), rtol=1e-15)


def test_forward_only_inference_gives_no_grads_and_the_same_values():
    x, w = Value(0.3), Value(0.7)
    score = (w * x).sigmoid()
    program = compile_batch(score.log(), inputs=[x], params=[w], outputs=[score])
    with_grad, without = program([[1.0], [2.0]]), program([[1.0], [2.0]], grad=False)
    assert without.grads is None and with_grad.grads is not None
    np.testing.assert_array_equal(with_grad.losses, without.losses)
    np.testing.assert_array_equal(with_grad.outputs, without.outputs)


def test_a_loss_of_parameters_only_is_the_same_for_every_sample():
    x, w = Value(1.0), Value(3.0)
    program = compile_batch(w * w, inputs=[x], params=[w])
    result = program([[1.0], [5.0], [7.0]], reduction="sum")
    assert result.losses.tolist() == [9.0, 9.0, 9.0]
    assert result.grads.tolist() == [18.0]  # 2w, once per sample


def test_unused_params_get_zero_and_leaves_not_listed_are_constants():
    x, w, c, unused = Value(1.0), Value(2.0), Value(10.0), Value(5.0)
    program = compile_batch(w * x + c, inputs=[x], params=[w, unused])
    result = program([[1.0], [3.0]])
    assert result.losses.tolist() == [12.0, 16.0]
    assert result.grads.tolist() == [2.0, 0.0]


# -- user-defined ops -------------------------------------------------------------------


def test_user_defined_ops_are_replayed_from_their_own_definitions():
    with temporary_ops():
        cube = define_op("cube_b", lambda x: x**3, [lambda x: 3 * x**2])  # array-aware as written
        clip = define_op(  # branches on floats: run lane by lane
            "clip_b", lambda x: min(max(x, -1.0), 1.0), [lambda x: 1.0 if -1 < x < 1 else 0.0]
        )
        mix = define_op(  # three inputs, derivative using the output
            "mix_b", lambda a, b, c: a * math.exp(b) + c,
            [lambda a, b, c: math.exp(b), lambda a, b, c, out: out - c, 1.0],
        )
        halve = define_op("halve_b", lambda a, b: 0.5 * (a + b), [0.5, 0.5])  # affine: fused

        def build(xs, ps):
            x, y = xs
            w, v = ps
            h = halve(cube(w * x), clip(v * y))
            return mix(h, w, y) + clip(x), [h]

        param_data = [0.8, 1.3]
        batch = [[0.5, -0.2], [1.2, 0.9], [-0.7, 0.4], [0.1, 2.0]]
        assert_batched_equals_scalar(build, batch, param_data, 1)


def test_stats_describe_the_program():
    xs = [Value(0.0) for _ in range(3)]
    ps = [Value(0.1 * k) for k in range(mlp_param_count([3, 4, 1]))]
    (score,) = mlp(xs, ps, [3, 4, 1], "relu")
    program = compile_batch(score, inputs=xs, params=ps)
    stats = program.stats
    assert stats.nodes > 40  # 12 products, 12 sums, 4 relus, ... as scalar nodes
    assert stats.steps == 3  # layer, relu, layer: one numpy step each
    assert stats.depth == 3
    assert "3 steps" in repr(program)


def test_results_survive_later_calls_of_any_batch_size():
    x, w = Value(1.0), Value(2.0)
    score = w * x
    program = compile_batch(score * score, inputs=[x], params=[w], outputs=[score])
    first = program([[1.0], [2.0]])
    program([[5.0], [6.0]])  # same size: reuses the program's tables
    third = program([[3.0]])  # another size
    assert first.losses.tolist() == [4.0, 16.0]
    assert first.outputs.tolist() == [[2.0], [4.0]]
    assert third.losses.tolist() == [36.0]
    assert third.grads.tolist() == [36.0]  # 2 w x^2
    assert program([[5.0], [6.0]]).grads.tolist() == [(100.0 + 144.0) / 2]
