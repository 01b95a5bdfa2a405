"""Drawing benchmark: every default drawing finishes fast, small and on a bounded canvas.

Run ``.venv/bin/python benchmarks/bench_draw.py [--million] [--only NAME]``. Each case
runs in a fresh interpreter: it builds its graph (not timed), then draws it with
default arguments and renders SVG and PNG with the renderer in use. Printed per
case: the drawing time (planning + DOT + renderer) for SVG and PNG, wall and
CPU (Python and renderer; steadier than wall time on a shared machine), the peak
memory (the interpreter's own peak plus the renderer's PNG run, measured with
``/usr/bin/time``: an upper bound of what was resident at once), the graph's
size, and the picture's size (SVG in points, PNG in pixels). The budget is 5 s
and 1 GB per drawing on a 2-core machine.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _graphs import random_dag

import engine

CASES: dict[str, str] = {
    **{f"dag {n:,}": f"dag:{n}" for n in (100, 1_000, 5_000, 50_000, 500_000)},
    **{f"demo loss, l2_penalty, {s} sample{'s' * (s > 1)}": f"demo:{s}:nn" for s in (1, 10, 100)},
    **{f"demo loss, L2 by hand, {s} sample{'s' * (s > 1)}": f"demo:{s}:hand" for s in (1, 10, 100)},
    "481 nodes, 57,840 edges": "dense:120",
    "481 nodes, 57,840 edges, max_nodes=300": "dense:120:max=300",
    "dag 50,000, max_nodes=300": "dag:50000:max=300",
    "demo loss, l2_penalty, 100 samples, max_nodes=300": "demo:100:nn:max=300",
    "draw_mlp MLP(2, [16, 16, 1])": "mlp:2,16,16,1",
    "draw_mlp MLP(240, [240, 1]) (57,840 weights)": "mlp:240,240,1",
    "backprop GIF, MLP(2, [4, 1])": "gif",
}
MILLION = {"dag 1,000,000": "dag:1000000"}


def demo_loss(samples: int, how: str) -> engine.Value:
    """micrograd's demo loss on ``samples`` moons: MLP(2, [16, 16, 1]), mean SVM
    hinge loss plus 1e-4 * sum(p * p), the penalty by ``nn.l2_penalty`` or by hand."""
    import random

    import numpy as np

    import nn

    np.random.seed(1337)
    random.seed(1337)
    X, labels = nn.make_moons(n_samples=max(samples, 2), noise=0.1)
    model = nn.MLP(2, [16, 16, 1])
    params = model.parameters()
    losses = [nn.hinge(model(list(x)), 2.0 * t - 1.0) for x, t in zip(X[:samples], labels)]
    data_loss = nn.losses.mean(losses)
    penalty = nn.l2_penalty(params, 1e-4) if how == "nn" else 1e-4 * sum(p * p for p in params)
    loss = data_loss + penalty
    loss.backward()
    return loss


def dense_graph(arity: int) -> engine.Value:
    """481 nodes and 57,840 edges: a wide op applied to the 120 nodes before it."""
    spread = engine.REGISTRY.get("bench_spread") or engine.define_op(
        "bench_spread", lambda *xs: sum(xs) / len(xs), [1.0 / arity] * arity, "Σ")
    nodes = [engine.Value(0.01 * i) for i in range(arity)]
    while len(nodes) < 481:
        nodes.append(spread(*nodes[-arity:]))
    return nodes[-1]


def _png_size(png: bytes) -> str:
    return f"{int.from_bytes(png[16:20], 'big'):,} x {int.from_bytes(png[20:24], 'big'):,} px"


def _svg_size(svg: bytes) -> str:
    found = re.search(rb'<svg[^>]* width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    return f"{float(found[1]):,.0f} x {float(found[2]):,.0f} pt" if found else "?"


def _cpu() -> float:
    """CPU seconds used so far by this process and its finished children (the renderer)."""
    own, children = (resource.getrusage(who) for who in
                     (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _timed(make: Callable[[], Any]) -> tuple[str, Any]:
    """``make()``'s result and its wall time, with its CPU time (steadier on a
    busy machine) in brackets."""
    start, cpu = time.perf_counter(), _cpu()
    result = make()
    return f"{time.perf_counter() - start:.2f} s ({_cpu() - cpu:.2f} s CPU)", result


def run_case(spec: str) -> dict[str, Any]:
    """Build and draw one case in this process; return its figures."""
    import viz

    kind, *args = spec.split(":")
    options = {"max_nodes": int(args.pop()[4:])} if args and args[-1].startswith("max=") else {}
    figures: dict[str, Any] = {}
    if kind == "gif":
        import nn

        model = nn.MLP(2, [4, 1])
        loss = nn.hinge(model([0.5, -1.0]), 1.0)
        loss.backward()
        figures["nodes"] = len(engine.topological_order(loss))
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "steps.gif"
            steps = viz.backprop_steps(loss)
            seconds, _ = _timed(lambda: steps.save_gif(path))
            figures["renderer_kb"] = renderer_peak_kb("\n".join(d.source for d in steps), "png")
            from PIL import Image

            with Image.open(path) as gif:
                frames, size = gif.n_frames, gif.size
            figures["gif"] = (f"{seconds}, {path.stat().st_size / 1e6:.2f} MB, "
                              f"{frames} frames of {size[0]:,} x {size[1]:,} px")
        return figures
    if kind == "mlp":
        import nn

        sizes = [int(s) for s in args[0].split(",")]
        model = nn.MLP(sizes[0], sizes[1:])
        figures["nodes"] = sum(sizes)

        def drawing() -> Any:
            return viz.draw_mlp(model)
    else:
        if kind == "dag":
            output = random_dag(engine.Value, int(args[0]))
        elif kind == "demo":
            output = demo_loss(int(args[0]), args[1])
        else:
            output = dense_graph(int(args[0]))
        figures["nodes"] = len(engine.topological_order(output))

        def drawing() -> Any:
            return viz.draw_dot(output, **options)

    for format, size in (("svg", _svg_size), ("png", _png_size)):
        seconds, picture = _timed(lambda format=format: drawing().pipe(format))
        figures[format] = f"{seconds}, {size(picture)}"
    figures["renderer_kb"] = renderer_peak_kb(drawing().source, "png")
    return figures


def renderer_peak_kb(source: str, format: str) -> int:
    """The renderer's own peak memory for ``source``, measured by ``/usr/bin/time``
    (a process forked from this interpreter would report this interpreter's peak)."""
    import viz

    done = subprocess.run(["/usr/bin/time", "-f", "%M", viz.renderer().path, f"-T{format}"],
                          input=source.encode(), capture_output=True, check=True)
    return int(done.stderr.decode().strip().splitlines()[-1])


def measure(spec: str) -> dict[str, Any]:
    """Run one case in a fresh interpreter and add its peak memory."""
    done = subprocess.run([sys.executable, __file__, "--case", spec],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    return json.loads(done.stdout)


def main() -> None:
    """Print one line per case (or run one case with ``--case``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--million", action="store_true", help="also a 1,000,000-node DAG")
    parser.add_argument("--only", help="run the cases whose name contains this text")
    args = parser.parse_args()
    if args.case:
        figures = run_case(args.case)
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        renderer = figures.pop("renderer_kb", 0)
        figures["peak"] = (f"{(own + renderer) / 1024:,.0f} MB ({own / 1024:,.0f} Python + "
                           f"{renderer / 1024:,.0f} renderer)")
        json.dump(figures, sys.stdout)
        return
    import viz

    python = sys.version.split()[0]
    print(f"renderer: {viz.renderer().name}; {os.cpu_count()} cores; Python {python}")
    cases = {**CASES, **(MILLION if args.million else {})}
    for name, spec in cases.items():
        if args.only and args.only not in name:
            continue
        figures = measure(spec)
        out = io.StringIO()
        out.write(f"{name:48s}")
        for key in ("nodes", "svg", "png", "gif", "peak", "error"):
            if key in figures:
                value = figures[key]
                out.write(f" | {key} {value:,}" if isinstance(value, int) else f" | {key} {value}")
        print(out.getvalue(), flush=True)


if __name__ == "__main__":
    main()
