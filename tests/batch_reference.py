"""What the batch tests compare against: the scalar engine, one sample at a time."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from engine import Value, grad
from engine.batch import BatchResult, compile_batch

RTOL = 1e-9
"""Batched and scalar results agree to float64 round-off, scaled by magnitude."""

Build = Callable[[list[Value], list[Value]], tuple[Value, list[Value]]]
"""(sample inputs, params) -> (loss, reported nodes)."""


def scalar_reference(build: Build, batch: Sequence[Sequence[float]],
                     param_data: Sequence[float], outputs: int = 0
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-sample losses, outputs and parameter gradients from the scalar engine."""
    losses, outs, grads = [], [], []
    for sample in batch:
        xs = [Value(v) for v in sample]
        ps = [Value(v) for v in param_data]
        loss, extra = build(xs, ps)
        losses.append(loss.data)
        outs.append([o.data for o in extra])
        grads.append([g.data for g in grad(loss, ps)] if ps else [])
    return np.array(losses), np.array(outs).reshape(len(batch), outputs), np.array(grads)


def assert_close(actual: object, expected: object) -> None:
    """Equal within RTOL, relative to the largest expected magnitude (at least 1)."""
    expected = np.asarray(expected, dtype=float)
    scale = 1.0 + np.abs(expected).max(initial=0.0)
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=RTOL * scale)


def assert_batched_equals_scalar(build: Build, batch: Sequence[Sequence[float]],
                                 param_data: Sequence[float], outputs: int) -> BatchResult:
    """Compile ``build`` traced on the first sample, run it on ``batch`` (mean
    reduction) and check losses, outputs and gradients against the scalar engine."""
    losses, outs, grads = scalar_reference(build, batch, param_data, outputs)
    xs = [Value(v) for v in batch[0]]
    ps = [Value(v) for v in param_data]
    loss, extra = build(xs, ps)
    result = compile_batch(loss, inputs=xs, params=ps, outputs=extra)(batch)
    assert_close(result.losses, losses)
    assert_close(result.outputs, outs)
    assert_close(result.grads, grads.mean(axis=0))
    return result
