"""Save and load times of JSON model files, and how loading scales.

Run: ``./run bench`` or ``.venv/bin/python benchmarks/bench_save_load.py`` (about
half a minute; it measures the ``nn`` that Python imports: the installed checkout).
Models MLP(n, [n, 1]) of about 1k, 10k and 100k parameters are saved, loaded
(``nn.load``: read, rebuild, set parameters) and loaded into an existing model
(``Module.load``). Prints a markdown table of median CPU times (wall time on a
shared machine measures the neighbours) and the growth between sizes: linear
loading grows about 10x per 10x parameters; what is left above that is Python's
cyclic garbage collector scanning the live Values, so loading is also timed
with it paused. ``Module.load_state_dict`` used to be quadratic: 8.4 s for 10k
parameters, where it now takes under 0.2 s.
"""

from __future__ import annotations

import gc
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import nn

WIDTHS = {"1k": 31, "10k": 99, "100k": 315}  # MLP(n, [n, 1]) has (n + 1) * (n + 1) parameters
REPEATS = 7


def median_cpu_seconds(run: Callable[[], object], collector: bool = True) -> float:
    """The median CPU time of ``REPEATS`` calls of ``run``: CPU, not wall,
    time, so other work on a shared machine does not count (an fsync's wait
    for the disk does not either). ``collector=False`` pauses Python's cyclic
    garbage collector during each call."""
    times = []
    for _ in range(REPEATS):
        if not collector:
            gc.disable()
        started = time.process_time()
        run()
        times.append(time.process_time() - started)
        gc.enable()
    return statistics.median(times)


def main() -> None:
    """Print the table and the scaling ratios."""
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for size, width in WIDTHS.items():
            model = nn.MLP(width, [width, 1], seed=0)
            path = Path(folder) / f"mlp-{size}.json"
            save = median_cpu_seconds(lambda m=model, p=path: m.save(p))
            load = median_cpu_seconds(lambda p=path: nn.load(p))
            load_into = median_cpu_seconds(lambda m=model, p=path: m.load(p))
            bare = median_cpu_seconds(lambda p=path: nn.load(p), collector=False)
            rows.append((size, len(model.parameters()), path.stat().st_size, save, load,
                         load_into, bare))
    print(f"Python {sys.version.split()[0]}; CPU time, medians of {REPEATS} runs\n")
    print("| model | parameters | file | save | nn.load | Module.load | nn.load, GC paused |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for size, count, nbytes, save, load, load_into, bare in rows:
        print(f"| {size} | {count:,} | {nbytes / 1e6:.2f} MB | {save * 1e3:.1f} ms "
              f"| {load * 1e3:.1f} ms | {load_into * 1e3:.1f} ms | {bare * 1e3:.1f} ms |")
    print("\nGrowth per step up in size (linear: time grows as the parameters do):")
    for (a, n_a, _, s_a, l_a, i_a, g_a), (b, n_b, _, s_b, l_b, i_b, g_b) in pairwise(rows):
        print(f"- {a} -> {b}: parameters x{n_b / n_a:.1f}; save x{s_b / s_a:.1f}, "
              f"nn.load x{l_b / l_a:.1f}, Module.load x{i_b / i_a:.1f}, "
              f"nn.load with the GC paused x{g_b / g_a:.1f}")

if __name__ == "__main__":
    main()
