"""Engine benchmark: glassgrad's ``engine`` against micrograd 0.1.0.

Run ``./run bench`` or ``.venv/bin/python benchmarks/bench_engine.py [--quick]``.
Everything runs in one process, the two engines alternating round by round on
identical graphs, and each figure is the median over rounds (the machine is
noisy). The garbage collector stays enabled, as users have it. Prints a markdown
table for the README. micrograd comes from the ``bench`` extra.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable

from _graphs import (
    batch_loss,
    count_nodes,
    hinge,
    make_model,
    moons_like,
    parameters,
    random_weights,
)

import engine
from engine.collector import pace_collector

try:
    from micrograd.engine import Value as MicrogradValue
except ImportError:
    sys.exit(
        "bench_engine: micrograd is not installed; install the bench extra:\n"
        "    .venv/bin/pip install -e '.[bench]'"
    )

ENGINES: dict[str, type] = {"micrograd": MicrogradValue, "glassgrad": engine.Value}
SIZES = [2, 16, 16, 1]  # MLP(2, [16, 16, 1])
DEEP_CHAIN = 1_000_000


def one_sample_at_a_time(value: type, n_samples: int) -> Callable[[], float]:
    """A timed run of setting (a): forward + backward of one sample at a time."""
    model = make_model(value, random_weights(SIZES))
    params = parameters(model)
    xs, ys = moons_like(n_samples)

    def run() -> float:
        start = time.perf_counter()
        for x, y in zip(xs, ys):
            loss = hinge(model, x, y)
            for p in params:
                p.grad = 0.0
            loss.backward()
        return (time.perf_counter() - start) / n_samples

    return run


def demo_batch(value: type, n_samples: int) -> Callable[[], float]:
    """A timed run of setting (b): one loss over ``n_samples`` samples, one backward."""
    model = make_model(value, random_weights(SIZES))
    params = parameters(model)
    xs, ys = moons_like(n_samples)

    def run() -> float:
        start = time.perf_counter()
        loss = batch_loss(model, xs, ys)
        for p in params:
            p.grad = 0.0
        loss.backward()
        return (time.perf_counter() - start) / n_samples

    return run


def alternate(runs: dict[str, Callable[[], float]], rounds: int) -> dict[str, float]:
    """Median seconds per sample of each run, calling them in turn ``rounds`` times.

    Each engine's turn starts with an untimed run: glassgrad paces the collector
    from its first ``backward()`` on (``engine.collector``), as in a training loop
    from the second step on, and micrograd runs with that pacing off, so with the
    thresholds as set. Before the timed run an untimed ``gc.collect()`` clears
    what the previous run left (micrograd's graphs are cyclic garbage): each
    engine pays for the collector only while it builds its own graph, as it
    would in a training loop."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            pace_collector(name == "glassgrad")
            run()
            gc.collect()
            times[name].append(run())
    pace_collector(True)
    return {name: statistics.median(t) for name, t in times.items()}


def bytes_per_node(value: type, n_samples: int) -> float:
    """Traced allocation per graph node while building the demo's batch loss."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    loss = batch_loss(make_model(value, random_weights(SIZES)), *moons_like(n_samples))
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return used / count_nodes(loss)


def same_numbers(n_samples: int) -> bool:
    """Whether both engines give the same loss and parameter gradients."""
    results = []
    for value in ENGINES.values():
        model = make_model(value, random_weights(SIZES))
        loss = batch_loss(model, *moons_like(n_samples))
        loss.backward()
        results.append([loss.data] + [p.grad for p in parameters(model)])
    return all(abs(a - b) <= 1e-9 * (1 + abs(b)) for a, b in zip(*results))


def micrograd_deepest_chain(limit: int = 5_000) -> int:
    """The longest chain ``y = y + 1`` micrograd back-propagates at the current
    recursion limit (bisection)."""

    def works(depth: int) -> bool:
        y = MicrogradValue(1.0)
        for _ in range(depth):
            y = y + 1
        try:
            y.backward()
        except RecursionError:
            return False
        return True

    low, high = 1, limit
    while low < high:
        middle = (low + high + 1) // 2
        if works(middle):
            low = middle
        else:
            high = middle - 1
    return low


def glassgrad_deep_chain() -> tuple[bool, float]:
    """Whether ``engine`` back-propagates a 1,000,000-deep chain, and how long
    backward takes."""
    x = engine.Value(0.5)
    y = x
    for _ in range(DEEP_CHAIN):
        y = y + 1
    start = time.perf_counter()
    y.backward()
    return x.grad == 1.0, time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    """Measure and print the markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few rounds: a smoke test")
    args = parser.parse_args(argv)
    rounds_a, rounds_b = (3, 2) if args.quick else (25, 11)
    began = time.perf_counter()

    print(f"glassgrad engine vs micrograd 0.1.0 — Python {platform.python_version()} "
          f"({platform.python_implementation()}), {platform.system()} {platform.machine()}, "
          f"{os.cpu_count()} CPUs, recursion limit {sys.getrecursionlimit()}, GC enabled")
    print("identical graphs give identical numbers:", "yes" if same_numbers(10) else "NO")

    print("timing (a) one sample at a time ...", flush=True)
    single = alternate({n: one_sample_at_a_time(v, 40) for n, v in ENGINES.items()}, rounds_a)
    print("timing (b) the demo's 100-sample loss ...", flush=True)
    batch = alternate({n: demo_batch(v, 100) for n, v in ENGINES.items()}, rounds_b)
    print("measuring memory ...", flush=True)
    memory = {n: bytes_per_node(v, 20) for n, v in ENGINES.items()}
    print("measuring depth ...", flush=True)
    deepest = micrograd_deepest_chain()
    deep_ok, deep_seconds = glassgrad_deep_chain()

    def row(label: str, figures: dict[str, float], unit: float, target: str) -> str:
        ours, theirs = figures["glassgrad"] * unit, figures["micrograd"] * unit
        return (f"| {label} | {theirs:,.0f} | {ours:,.0f} | {ours / theirs:.2f}x | {target} |")

    deep_cell = f"{DEEP_CHAIN:,} ({deep_seconds:.1f} s)" if deep_ok else "FAILED"
    print()
    print("| MLP(2,[16,16,1]) scalar graphs | micrograd 0.1.0 | glassgrad | ratio | target |")
    print("|---|---:|---:|---:|---:|")
    print(row("forward+backward, one sample at a time (µs/sample)", single, 1e6, "≤ 0.5x"))
    print(row("demo loss over 100 samples, one backward (µs/sample)", batch, 1e6, "≤ 0.5x"))
    print(row("memory (bytes per graph node)", memory, 1, "≤ 0.6x"))
    print(f"| deepest chain that back-propagates at recursion limit "
          f"{sys.getrecursionlimit()} | {deepest:,} (RecursionError at {deepest + 1:,}) "
          f"| {deep_cell} | | 1,000,000 |")
    print()
    print(f"Medians of {rounds_a} rounds (a: 40 samples each) and {rounds_b} rounds (b), "
          f"engines alternating, GC enabled (collected between rounds); "
          f"total run time {time.perf_counter() - began:.0f} s.")


if __name__ == "__main__":
    main()
