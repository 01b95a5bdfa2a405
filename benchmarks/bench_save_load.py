"""Save and load times of JSON model files, and how loading scales.

Run: ``./run bench`` or ``.venv/bin/python benchmarks/bench_save_load.py`` (about
half a minute; it measures the ``nn`` that Python imports: the installed checkout).
Models MLP(n, [n, 1]) of about 1k, 10k and 100k parameters are saved and
loaded (``nn.load``: read, rebuild, set parameters) and loaded into an
existing model (``Module.load``). Prints a markdown table of medians and the
ratios between sizes: linear loading gives about 10x per 10x parameters
(``Module.load_state_dict`` used to be quadratic: 8.4 s for 10k parameters,
where it now takes 0.16 s).
"""

from __future__ import annotations

import sys
import tempfile
from itertools import pairwise
from pathlib import Path

from bench_batch import median_time

import nn

WIDTHS = {"1k": 31, "10k": 99, "100k": 315}  # MLP(n, [n, 1]) has (n + 1) * (n + 1) parameters
REPEATS = 5


def main() -> None:
    """Print the table and the scaling ratios."""
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for size, width in WIDTHS.items():
            model = nn.MLP(width, [width, 1], seed=0)
            path = Path(folder) / f"mlp-{size}.json"
            save = median_time(lambda m=model, p=path: m.save(p), REPEATS)
            load = median_time(lambda p=path: nn.load(p), REPEATS)
            load_into = median_time(lambda m=model, p=path: m.load(p), REPEATS)
            rows.append((size, len(model.parameters()), path.stat().st_size, save, load,
                         load_into))
    print(f"Python {sys.version.split()[0]}; medians of {REPEATS} runs\n")
    print("| model | parameters | file | save | nn.load | Module.load |")
    print("|---|---:|---:|---:|---:|---:|")
    for size, count, nbytes, save, load, load_into in rows:
        print(f"| {size} | {count:,} | {nbytes / 1e6:.2f} MB | {save * 1e3:.1f} ms "
              f"| {load * 1e3:.1f} ms | {load_into * 1e3:.1f} ms |")
    print("\nGrowth per step up in size (parameters ratio, then time ratios):")
    for (a, n_a, _, s_a, l_a, i_a), (b, n_b, _, s_b, l_b, i_b) in pairwise(rows):
        print(f"- {a} -> {b}: parameters x{n_b / n_a:.1f}; save x{s_b / s_a:.1f}, "
              f"nn.load x{l_b / l_a:.1f}, Module.load x{i_b / i_a:.1f} "
              f"(per parameter: nn.load x{(l_b / n_b) / (l_a / n_a):.2f})")


if __name__ == "__main__":
    main()
