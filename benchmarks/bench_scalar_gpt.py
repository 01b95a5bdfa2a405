"""Scalar-engine benchmark on the microgpt workload: glassgrad's ``Value``
against the lean local-gradients reference ``LeanValue`` (issue 13, item 4).

Run ``./run bench`` or ``.venv/bin/python benchmarks/bench_scalar_gpt.py [--rounds R]
[--steps K] [--quick]``.
Both engines train the same GPT (``benchmarks/microgpt.py``, same seed) on the
same documents, in one process: each round runs K training steps with one
engine, then the same K steps with the other, alternating which goes first.
Figures are CPU milliseconds per step (medians over rounds), split into
forward, backward and Adam. The garbage collector stays on, as users have it,
with its default thresholds; an untimed ``gc.collect()`` before each engine's
turn clears what the other engine left; the lean engine's turns run with
glassgrad's collector pacing off (``engine.collector``), so with the
thresholds as set, and each turn starts with one untimed step. Also printed: bytes per graph node
(traced allocations while building one loss) and the largest difference
between the two engines' losses over every step run (target: <= 1e-12), and
for comparison each engine's time with the collector off.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
import tracemalloc

from _graphs import count_nodes
from lean_value import LeanValue
from microgpt import Model, adam_step, forward, load_documents, make_model, train_step

import engine
from engine.collector import pace_collector

ENGINES: dict[str, type] = {"lean": LeanValue, "glassgrad": engine.Value}
PHASES = ("forward", "backward", "adam")


def run_turn(model: Model, docs: list[list[int]], first: int, count: int,
             num_steps: int) -> tuple[dict[str, float], list[float]]:
    """One engine's turn: training step ``first`` untimed (glassgrad paces the
    collector from its first ``backward()`` on, as in any training loop), then
    ``count`` timed steps. CPU seconds per phase summed over the timed steps,
    and the losses of all steps."""
    losses = [train_step(model, docs[first % len(docs)], first, num_steps)]
    spent = dict.fromkeys(PHASES, 0.0)
    clock = time.process_time
    for step in range(first + 1, first + 1 + count):
        t0 = clock()
        loss = forward(model, docs[step % len(docs)])
        t1 = clock()
        loss.backward()
        t2 = clock()
        adam_step(model, step, num_steps)
        t3 = clock()
        spent["forward"] += t1 - t0
        spent["backward"] += t2 - t1
        spent["adam"] += t3 - t2
        losses.append(float(loss.data))
    return spent, losses


def bytes_per_node(value: type, docs: list[list[int]], vocab: int) -> tuple[float, int]:
    """Traced allocations per node while building one document's loss, and the node count."""
    model = make_model(value, vocab, seed=0)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    loss = forward(model, docs[0])
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    nodes = count_nodes(loss)
    return used / nodes, nodes


Timings = dict[str, dict[str, float]]
"""Per engine, per phase (and "total"): median CPU milliseconds per step."""


def time_engines(models: dict[str, Model], docs: list[list[int]], rounds: int, steps: int,
                 num_steps: int) -> tuple[Timings, dict[str, list[float]]]:
    """Alternate the engines' turns for a warm-up round and ``rounds`` timed rounds;
    the medians and every step's loss per engine."""
    per_round: dict[str, dict[str, list[float]]] = {
        name: {phase: [] for phase in (*PHASES, "total")} for name in models}
    losses: dict[str, list[float]] = {name: [] for name in models}
    for r in range(rounds + 1):
        order = list(models) if r % 2 == 0 else list(reversed(models))
        for name in order:
            pace_collector(name == "glassgrad")  # the lean engine runs with the thresholds as set
            gc.collect()
            spent, got = run_turn(models[name], docs, r * (steps + 1), steps, num_steps)
            losses[name] += got
            if r == 0:
                continue  # warm-up
            for phase, seconds in spent.items():
                per_round[name][phase].append(seconds / steps)
            per_round[name]["total"].append(sum(spent.values()) / steps)
    pace_collector(True)
    medians = {name: {phase: 1e3 * statistics.median(t) for phase, t in figures.items()}
               for name, figures in per_round.items()}
    return medians, losses


def more_losses(models: dict[str, Model], docs: list[list[int]], first: int, count: int,
                num_steps: int) -> dict[str, list[float]]:
    """Train every engine ``count`` more steps from step ``first`` (untimed); their losses."""
    return {name: [train_step(model, docs[step % len(docs)], step, num_steps)
                   for step in range(first, first + count)]
            for name, model in models.items()}


def main(argv: list[str] | None = None) -> None:
    """Measure and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds per engine (>= 5)")
    parser.add_argument("--steps", type=int, default=8, help="training steps per round")
    parser.add_argument("--extra-steps", type=int, default=0,
                        help="untimed steps after the timing, for the loss agreement")
    parser.add_argument("--quick", action="store_true", help="5 rounds of 2 steps: a smoke test")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.steps = 5, 2
    docs, vocab = load_documents()
    timed = (args.rounds + 1) * (args.steps + 1)
    num_steps = timed + args.extra_steps
    models = {name: make_model(value, vocab, seed=0) for name, value in ENGINES.items()}
    print(f"engine: {engine.__file__}")
    print(f"microgpt workload, {vocab} tokens, {len(models['lean'].params):,} parameters; "
          f"GC on, thresholds {gc.get_threshold()}; {args.rounds} timed rounds of "
          f"{args.steps} timed steps (+1 untimed step per turn, +1 warm-up round)", flush=True)
    medians, losses = time_engines(models, docs, args.rounds, args.steps, num_steps)
    for name, more in more_losses(models, docs, timed, args.extra_steps, num_steps).items():
        losses[name] += more
    gc.disable()  # for comparison: each engine's own cost, without the collector
    try:
        without_gc, _ = time_engines(
            {name: make_model(value, vocab, seed=0) for name, value in ENGINES.items()},
            docs, 5, 2, 12)
    finally:
        gc.enable()
    memory = {name: bytes_per_node(value, docs, vocab) for name, value in ENGINES.items()}
    worst = max(abs(a - b) for a, b in zip(losses["lean"], losses["glassgrad"]))

    print()
    print("| CPU ms per step (median) | lean Value | glassgrad Value | ratio |")
    print("|---|---:|---:|---:|")
    for phase in (*PHASES, "total"):
        lean, ours = medians["lean"][phase], medians["glassgrad"][phase]
        print(f"| {phase} | {lean:.1f} | {ours:.1f} | {ours / lean:.2f}x |")
    (lean_bytes, lean_nodes), (our_bytes, our_nodes) = memory["lean"], memory["glassgrad"]
    print(f"| bytes per node (one loss graph) | {lean_bytes:.0f} ({lean_nodes:,} nodes) "
          f"| {our_bytes:.0f} ({our_nodes:,} nodes) | {our_bytes / lean_bytes:.2f}x |")
    lean, ours = without_gc["lean"]["total"], without_gc["glassgrad"]["total"]
    print(f"| total with the collector off (gc.disable(), 5 rounds of 2 steps) | {lean:.1f} "
          f"| {ours:.1f} | {ours / lean:.2f}x |")
    print()
    print(f"losses over {len(losses['lean'])} steps: largest |lean - glassgrad| = {worst:.2e} "
          f"({'within' if worst <= 1e-12 else 'ABOVE'} 1e-12); target ratio <= 0.50x")


if __name__ == "__main__":
    main()
