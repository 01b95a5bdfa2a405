"""How ``engine.batch`` groups a graph into steps: one weight matrix applied at several
positions is ONE product, whatever the biases; equal constants read as one weight;
sparse affine groups with the same terms run together. Each case also equals the
scalar engine."""

from __future__ import annotations

import random

from batch_reference import assert_batched_equals_scalar
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Value, ops
from engine.batch import compile_batch
from engine.batch.steps import Linear

POSITIONS, N_IN, N_OUT = 5, 4, 3


def _sum(xs):
    total = xs[0]
    for x in xs[1:]:
        total = total + x
    return total


def _positions_build(per_position_bias: bool):
    """A (3 x 4) weight matrix applied to 5 position vectors, plus a bias per position
    (or one shared bias), then the sum of squares."""
    def build(xs, ps):
        w = [ps[r * N_IN:(r + 1) * N_IN] for r in range(N_OUT)]
        biases = ps[N_OUT * N_IN:]
        outs = []
        for t in range(POSITIONS):
            x = xs[t * N_IN:(t + 1) * N_IN]
            for r in range(N_OUT):
                bias = biases[t * N_OUT + r] if per_position_bias else biases[r]
                outs.append(_sum([wi * xi for wi, xi in zip(w[r], x)]) + bias)
        return _sum([y * y for y in outs]), outs[:2]
    return build


def _data(per_position_bias: bool, seed: int = 0):
    rng = random.Random(seed)
    n_bias = POSITIONS * N_OUT if per_position_bias else N_OUT
    params = [rng.uniform(-1, 1) for _ in range(N_OUT * N_IN + n_bias)]
    batch = [[rng.uniform(-1, 1) for _ in range(POSITIONS * N_IN)] for _ in range(3)]
    return params, batch


def _compiled(build, batch, params):
    xs = [Value(v) for v in batch[0]]
    ps = [Value(v) for v in params]
    loss, extra = build(xs, ps)
    return compile_batch(loss, inputs=xs, params=ps, outputs=extra)


def test_one_weight_matrix_at_several_positions_is_one_product():
    for per_position_bias in (False, True):
        build = _positions_build(per_position_bias)
        params, batch = _data(per_position_bias)
        program = _compiled(build, batch, params)
        # W @ [x_0 .. x_4] (+ biases), every y * y, the sum: three numpy steps
        assert program.stats.steps == 3
        products = [s for s in program._plan.steps if isinstance(s, Linear)]
        assert [p.tiles for p in products] == [POSITIONS, 1]  # W @ x at 5 positions; the sum
        assert_batched_equals_scalar(build, batch, params, 2)


@given(st.integers(1, 5), st.integers(1, 4), st.integers(1, 3), st.integers(0, 3),
       st.booleans(), st.integers(0, 2**16))
@settings(max_examples=40)
def test_one_matrix_over_overlapping_windows_equals_the_scalar_engine(
        positions, n_in, n_out, overlap, per_position_bias, seed):
    """W applied to windows of the inputs that overlap (window t starts ``n_in -
    overlap`` after window t - 1, so neighbouring products read the same nodes), with
    a shared or per-position bias: stacked products whose inputs repeat."""
    overlap = min(overlap, n_in - 1)
    stride = n_in - overlap
    size = stride * (positions - 1) + n_in
    rng = random.Random(seed)
    n_bias = positions * n_out if per_position_bias else n_out
    params = [rng.uniform(-1, 1) for _ in range(n_out * n_in + n_bias)]
    batch = [[rng.uniform(-1, 1) for _ in range(size)] for _ in range(2)]

    def build(xs, ps):
        outs = []
        for t in range(positions):
            window = xs[t * stride:t * stride + n_in]
            for r in range(n_out):
                bias = ps[n_out * n_in + (t * n_out + r if per_position_bias else r)]
                outs.append(_sum([w * x for w, x in zip(ps[r * n_in:(r + 1) * n_in], window)])
                            + bias)
        return _sum([y.tanh() for y in outs]), outs[:1]

    assert_batched_equals_scalar(build, batch, params, 1)


def test_equal_constants_written_at_each_position_read_as_one_weight():
    def build(xs, ps):
        (w,) = ps
        # new Values 1.0 and 0.5 at each position: the same numbers, so the same weights
        scaled = [x * 0.5 + w + 1.0 for x in xs]
        return _sum([s * s for s in scaled]), []

    batch = [[0.3, -1.2, 0.7, 2.0], [1.0, 0.5, -0.4, 0.1]]
    program = _compiled(build, batch, [1.5])
    assert program.stats.steps == 3  # the scaled sums, the squares, their sum
    assert_batched_equals_scalar(build, batch, [1.5], 0)


def test_a_shift_subtracted_from_every_score_is_one_step():
    def build(xs, ps):
        scores = [x * p for x, p in zip(xs, ps)]
        shift = scores[0]
        for s in scores[1:]:
            shift = ops.maximum(shift, s)
        return _sum([ops.exp(s - shift) for s in scores]).log(), []

    batch = [[0.03 * k - 1.0 for k in range(40)], [0.01 * k * k for k in range(40)]]
    params = [1.0 + 0.01 * k for k in range(40)]
    program = _compiled(build, batch, params)
    # x_v - shift for all 40 scores: too sparse for one dense matrix (40 x 41), yet
    # one product (40 tiles of [-1, 1]), not 40 steps
    subtract = [s for s in program._plan.steps if getattr(s, "tiles", 1) == 40]
    assert len(subtract) == 1
    assert_batched_equals_scalar(build, batch, params, 0)
