"""Batched mode against micrograd, our scalar mode and hand-written numpy.

Run: ``.venv/bin/python benchmarks/bench_batch.py`` (about a minute; ``--full`` also
trains micrograd and the scalar engine for all 100 steps instead of extrapolating).
Prints markdown tables (medians; this is a noisy 2-core machine, so the runs being
compared are timed side by side, interleaved).

1. micrograd's demo: 100 moons points, MLP(2, [16, 16, 1]), hinge loss + 1e-4 L2,
   SGD with lr = 1.0 - 0.9 k / 100, 100 full-batch steps.
2. Digits: MLP(64, [32, 10]), softmax cross-entropy, one epoch of forward + backward
   (full batch, and minibatches of 128), against the same MLP written in numpy.
3. Fixed costs: a call on one sample, an L2 penalty program (no inputs, 2,410
   parameters), and the part of every call that reads the parameters' ``.data``.
4. Compile time, memory, and how a call grows with batch size and model width.
"""

from __future__ import annotations

import os

# BLAS threads spin and fight over 2 shared cores; one thread gives both numpy engines
# (ours and the hand-written reference) stable timings. Set before numpy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import gc
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from functools import partial
from itertools import pairwise
from typing import Any

import numpy as np

from engine import Value
from engine.batch import BatchProgram, compile_batch

# -- models built from plain Values (micrograd's layout and initialisation) -------------


def mlp_params(sizes: Sequence[int], scale: Callable[[int], float] = lambda n: 1.0) -> list[Value]:
    """micrograd's MLP parameters in its order: per neuron, weights uniform(-1, 1) (times
    ``scale(fan_in)``) then a zero bias."""
    params = []
    for n_in, n_out in pairwise(sizes):
        for _ in range(n_out):
            params += [Value(random.uniform(-1, 1) * scale(n_in)) for _ in range(n_in)]
            params.append(Value(0.0))
    return params


def mlp(xs: Sequence[Any], params: Sequence[Any], sizes: Sequence[int]) -> list[Any]:
    """Forward through the MLP (relu on every layer but the last), micrograd-style sums."""
    it = iter(params)
    for k, (n_in, n_out) in enumerate(pairwise(sizes)):
        layer = []
        for _ in range(n_out):
            ws = [next(it) for _ in range(n_in)]
            act = sum((w * x for w, x in zip(ws, xs)), next(it))
            layer.append(act if k == len(sizes) - 2 else act.relu())
        xs = layer
    return list(xs)


def median_time(function: Callable[[], Any], repeats: int) -> float:
    """Median seconds of ``repeats`` calls."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def fmt(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.0f} µs"


# -- 1. the moons demo -----------------------------------------------------------------

MOONS_SIZES = [2, 16, 16, 1]


def moons_data() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import make_moons

    np.random.seed(1337)
    random.seed(1337)
    X, y = make_moons(n_samples=100, noise=0.1)
    return X, y * 2.0 - 1.0


def moons_batched(steps: int) -> tuple[float, list[float], float, float]:
    """Train with batched mode; (seconds, losses per step, final accuracy, compile s)."""
    X, y = moons_data()
    params = mlp_params(MOONS_SIZES)
    start = time.perf_counter()
    x0, x1, target = Value(0.0), Value(0.0), Value(1.0)
    (score,) = mlp([x0, x1], params, MOONS_SIZES)
    loss = (1 - target * score).relu() + 1e-4 * sum(p * p for p in params)
    program = compile_batch(loss, inputs=[x0, x1, target], params=params, outputs=[score])
    compiled = time.perf_counter() - start
    batch = np.column_stack([X, y])
    losses, accuracy = [], 0.0
    start = time.perf_counter()
    for k in range(steps):
        result = program(batch)
        assert result.grads is not None
        accuracy = float(np.mean((result.outputs[:, 0] > 0) == (y > 0)))
        losses.append(result.loss)
        lr = 1.0 - 0.9 * k / 100
        for p, g in zip(params, result.grads.tolist()):
            p.data = p.data - lr * g
    return time.perf_counter() - start, losses, accuracy, compiled


def moons_scalar(steps: int) -> tuple[float, list[float], float]:
    """Train with our scalar engine, one graph per step over all 100 samples."""
    X, y = moons_data()
    params = mlp_params(MOONS_SIZES)
    losses, accuracy = [], 0.0
    start = time.perf_counter()
    for k in range(steps):
        scores = [mlp([Value(a), Value(b)], params, MOONS_SIZES)[0] for a, b in X.tolist()]
        data_loss = sum((1 - yi * s).relu() for yi, s in zip(y.tolist(), scores)) * (1 / len(y))
        total = data_loss + 1e-4 * sum(p * p for p in params)
        accuracy = float(np.mean([(s.data > 0) == (yi > 0) for yi, s in zip(y, scores)]))
        for p in params:
            p.grad = 0.0
        total.backward()
        losses.append(total.data)
        lr = 1.0 - 0.9 * k / 100
        for p in params:
            p.data -= lr * p.grad
    return time.perf_counter() - start, losses, accuracy


def moons_micrograd(steps: int) -> tuple[float, list[float], float]:
    """micrograd 0.1.0's own demo loop (as in its demo.ipynb)."""
    from micrograd.engine import Value as MValue
    from micrograd.nn import MLP

    X, y = moons_data()
    model = MLP(2, [16, 16, 1])
    losses, accuracy = [], 0.0
    start = time.perf_counter()
    for k in range(steps):
        inputs = [list(map(MValue, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        data_loss = sum((1 + -yi * s).relu() for yi, s in zip(y, scores)) * (1.0 / len(y))
        total = data_loss + 1e-4 * sum(p * p for p in model.parameters())
        accuracy = float(np.mean([(yi > 0) == (s.data > 0) for yi, s in zip(y, scores)]))
        model.zero_grad()
        total.backward()
        losses.append(total.data)
        lr = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= lr * p.grad
    return time.perf_counter() - start, losses, accuracy


def bench_moons(full: bool) -> None:
    steps = 100
    batched_s, batched_losses, batched_acc, compiled = moons_batched(steps)
    few = steps if full else 3
    scalar_s, scalar_losses, scalar_acc = moons_scalar(few)
    micro_s, micro_losses, micro_acc = moons_micrograd(few if full else 2)
    micro_steps = len(micro_losses)
    scalar_total = scalar_s * steps / few
    micro_total = micro_s * steps / micro_steps
    same = max(abs(a - b) for a, b in zip(batched_losses, scalar_losses))
    same_mg = max(abs(a - b) for a, b in zip(batched_losses, micro_losses))
    note = "" if full else " (extrapolated)"
    print("### micrograd's demo: 100 moons points, MLP(2, [16, 16, 1]), 100 SGD steps\n")
    print("| engine | 100 steps | per step | vs batched | final accuracy |")
    print("|---|---|---|---|---|")
    rows = [
        (f"micrograd 0.1.0, {micro_steps} steps timed{note}", micro_total,
         f"{micro_acc:.0%} at step {micro_steps}" if not full else f"{micro_acc:.0%}"),
        (f"glassgrad scalar, {few} steps timed{note}", scalar_total,
         f"{scalar_acc:.0%} at step {few}" if not full else f"{scalar_acc:.0%}"),
        ("glassgrad batched (`engine.batch`)", batched_s, f"{batched_acc:.0%}"),
    ]
    for name, total, acc in rows:
        print(f"| {name} | {fmt(total)} | {fmt(total / steps)} | "
              f"{total / batched_s:.0f}x | {acc} |")
    print(f"\nStep 0 loss {batched_losses[0]:.4f}; final loss {batched_losses[-1]:.4f}. "
          f"Batched losses equal the scalar engine's to {same:.1e} and micrograd's to "
          f"{same_mg:.1e} over the steps both ran. Compile (trace + plan): {fmt(compiled)}.\n")


# -- 2. digits -------------------------------------------------------------------------

DIGITS_SIZES = [64, 32, 10]


def digits_data() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    return digits.data / 16.0, np.eye(10)[digits.target]


def digits_program(sizes: Sequence[int]) -> tuple[BatchProgram, list[Value], float]:
    """Softmax cross-entropy of an MLP on one sample, compiled; (program, params, s)."""
    random.seed(0)
    params = mlp_params(sizes, lambda n: n**-0.5)
    start = time.perf_counter()
    xs = [Value(0.0) for _ in range(sizes[0])]
    targets = [Value(0.0) for _ in range(sizes[-1])]
    logits = mlp(xs, params, sizes)
    loss = sum(z.exp() for z in logits).log() - sum(t * z for t, z in zip(targets, logits))
    program = compile_batch(loss, inputs=xs + targets, params=params, outputs=logits)
    return program, params, time.perf_counter() - start


class NumpyMLP:
    """The same MLP and loss written by hand in numpy: the reference."""

    def __init__(self, params: Sequence[Value], sizes: Sequence[int]) -> None:
        flat = np.array([p.data for p in params])
        self.layers = []
        k = 0
        for n_in, n_out in pairwise(sizes):
            block = flat[k: k + (n_in + 1) * n_out].reshape(n_out, n_in + 1)
            self.layers.append((block[:, :n_in].copy(), block[:, n_in].copy()))
            k += (n_in + 1) * n_out

    def loss_and_grads(self, X: np.ndarray, T: np.ndarray) -> tuple[float, np.ndarray]:
        """Mean loss and the flat gradient (micrograd's parameter order)."""
        activations = [X]
        for k, (W, b) in enumerate(self.layers):
            z = activations[-1] @ W.T + b
            activations.append(z if k == len(self.layers) - 1 else np.maximum(z, 0.0))
        z = activations[-1]
        e = np.exp(z)
        total = e.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(total[:, 0]) - (T * z).sum(axis=1)))
        dz = (e / total - T) / len(X)
        grads = []
        for k in range(len(self.layers) - 1, -1, -1):
            W, _ = self.layers[k]
            a = activations[k]
            grads.append(np.hstack([dz.T @ a, dz.sum(axis=0)[:, None]]).ravel())
            if k:
                dz = (dz @ W) * (a > 0)
        return loss, np.concatenate(grads[::-1])


def numpy_epoch(reference: NumpyMLP, X: np.ndarray, T: np.ndarray, size: int) -> None:
    """Forward + backward over every sample, in batches of ``size``, in numpy."""
    for start in range(0, len(X), size):
        reference.loss_and_grads(X[start: start + size], T[start: start + size])


def batched_epoch(program: BatchProgram, batch: np.ndarray, size: int) -> None:
    """Forward + backward over every sample, in batches of ``size``, in batched mode."""
    for start in range(0, len(batch), size):
        program(batch[start: start + size])


def bench_digits() -> None:
    X, T = digits_data()
    program, params, compiled = digits_program(DIGITS_SIZES)
    reference = NumpyMLP(params, DIGITS_SIZES)
    batch = np.hstack([X, T])
    result = program(batch)
    ref_loss, ref_grads = reference.loss_and_grads(X, T)
    assert result.grads is not None
    error = float(np.max(np.abs(result.grads - ref_grads)))
    print("### Digits: MLP(64, [32, 10]), softmax cross-entropy, forward + backward, "
          "1,797 samples\n")
    print("| epoch in batches of | hand-written numpy | glassgrad batched | ratio |")
    print("|---|---|---|---|")
    for size in (len(X), 128):
        ours, theirs = [], []
        for _ in range(15):  # interleaved, so both see the same machine load
            theirs.append(median_time(partial(numpy_epoch, reference, X, T, size), 1))
            ours.append(median_time(partial(batched_epoch, program, batch, size), 1))
        a, b = statistics.median(theirs), statistics.median(ours)
        print(f"| {size} | {fmt(a)} | {fmt(b)} | {b / a:.1f}x |")
    print(f"\nSame loss ({result.loss:.6f} vs {ref_loss:.6f}) and gradients (largest "
          f"difference {error:.1e}) as the numpy reference. The traced graph has "
          f"{program.stats.nodes:,} scalar nodes; compiled to {program.stats.steps} numpy "
          f"steps in {fmt(compiled)} (trace + plan).\n")


# -- 3. fixed costs ---------------------------------------------------------------------


def bench_fixed_costs() -> None:
    X, T = digits_data()
    batch = np.hstack([X, T])
    program, params, _ = digits_program(DIGITS_SIZES)
    l2: Any = 1e-4 * sum(p * p for p in params)
    penalty = compile_batch(l2, inputs=[], params=params)
    reference = NumpyMLP(params, DIGITS_SIZES)
    no_sample = np.empty((1, 0))
    rows: list[tuple[str, Callable[[], Any], Callable[[], Any] | None]] = [
        ("digits MLP(64, [32, 10]) softmax loss, batch of 1",
         partial(program, batch[:1]), partial(reference.loss_and_grads, X[:1], T[:1])),
        ("digits MLP(64, [32, 10]) softmax loss, batch of 128",
         partial(program, batch[:128]), partial(reference.loss_and_grads, X[:128], T[:128])),
        (f"L2 penalty `1e-4 * sum(p * p)`, {len(params):,} params, no inputs "
         f"({penalty.stats.shared_steps} shared steps)", partial(penalty, no_sample), None),
        (f"reading the {len(params):,} parameters' `.data` into a vector (inside every "
         f"call above)", program._plan.shared.forward, None),  # the digits shared part
    ]
    print("### Fixed costs of a call (forward + backward)\n")
    print("| call | glassgrad batched | hand-written numpy |")
    print("|---|---|---|")
    for name, ours, theirs in rows:
        a, b = [], []
        for _ in range(15):  # interleaved, so both see the same machine load
            a.append(median_time(ours, 15))
            if theirs is not None:
                b.append(median_time(theirs, 15))
        numpy_time = fmt(statistics.median(b)) if b else ""
        print(f"| {name} | {fmt(statistics.median(a))} | {numpy_time} |")
    print()


# -- 4. compile time, memory, scaling --------------------------------------------------


def peak_memory(function: Callable[[], Any]) -> int:
    gc.collect()
    tracemalloc.start()
    function()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def bench_scaling() -> None:
    X, T = digits_data()
    batch = np.hstack([X, T])
    program, _, _ = digits_program(DIGITS_SIZES)
    print("### Cost of one call (forward + backward) by batch size, MLP(64, [32, 10])\n")
    print("| batch | per call | per sample | tables kept | other peak memory in a call |")
    print("|---|---|---|---|---|")
    for size in (1, 10, 100, 1000, 10000):
        data = np.resize(batch, (size, batch.shape[1]))
        seconds = median_time(partial(program, data), 7 if size < 10000 else 3)
        memory = peak_memory(partial(program, data))
        tables = 16 * program.stats.rows * size
        print(f"| {size:,} | {fmt(seconds)} | {fmt(seconds / size)} | "
              f"{tables / 1e6:.2f} MB | {memory / 1e6:.2f} MB |")
    print("\n### Compile time and cost by model width, MLP(64, [width, 10]), batch 256\n")
    print("| width | scalar nodes | trace + compile | steps | rows | per call |")
    print("|---|---|---|---|---|---|")
    data = batch[:256]
    for width in (8, 32, 128, 512):
        program, _, compiled = digits_program([64, width, 10])
        seconds = median_time(partial(program, data), 7)
        s = program.stats
        print(f"| {width} | {s.nodes:,} | {fmt(compiled)} | {s.steps} | {s.rows} | "
              f"{fmt(seconds)} |")
    print()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true",
                        help="train micrograd and the scalar engine for all 100 steps")
    args = parser.parse_args(argv)
    print(f"Python {sys.version.split()[0]}, numpy {np.__version__}, "
          f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}\n")
    bench_moons(args.full)
    bench_digits()
    bench_fixed_costs()
    bench_scaling()


if __name__ == "__main__":
    main()
