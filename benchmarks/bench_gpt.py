"""The microgpt workload on four engines, side by side: time per training step,
peak memory and loss agreement (issue 13, item 7).

Run: ``.venv/bin/python benchmarks/bench_gpt.py`` (about two minutes; ``--quick``
for a smoke run). The engines train the same GPT (4,192 parameters, same initial
weights) on the same names in the same order, one name per step, Adam with a
learning rate decaying linearly over ``--schedule`` steps:

* lean ``Value``: the local-gradients reference engine (``benchmarks/lean_value.py``)
  running ``benchmarks/microgpt.py``;
* glassgrad scalar: ``nn.GPT`` on the ``Value`` graph (``train_gpt(...)``);
* glassgrad compiled: ``nn.GPT`` through ``nn.compiled`` (``train_gpt(...,
  batched=True)``), one numpy program per name length, compiled on first use;
* PyTorch float64 on one thread, if installed: the same model written with tensors
  (causal mask, ``F.cross_entropy``, ``torch.optim.Adam``).

Time: CPU time per step (``time.process_time``), medians. The engines take turns
in rounds (the order rotating every round) so that they share the machine's ups
and downs; a compiled program's first use (its compile) is timed apart. Memory:
each engine trains in a fresh interpreter, and the figure is the peak resident
size while training minus the resident size once the model is set up (so it
counts graphs, compiled programs and tables, not the interpreter or imports).
"""

from __future__ import annotations

import os

# BLAS threads spin and fight over shared cores; one thread for numpy and PyTorch.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import gc
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from lean_value import LeanValue
from microgpt import load_documents, make_model, train_step

import nn
from engine.collector import pace_collector
from nn.compiled import CompiledGPT
from nn.gpt_training import scalar_train_step
from nn.schedules import linear

SEED = 42
LR, BETAS, EPS = 0.01, (0.85, 0.99), 1e-8
SLOW = ("lean Value", "glassgrad scalar")


class Engine:
    """One engine training its own copy of the model: ``step(k)`` trains on
    document ``k`` and returns its loss; ``prepare(k)`` does any one-off work
    step ``k`` needs first (compiling), untimed."""

    def __init__(self, docs: list[list[int]], schedule_steps: int) -> None:
        self.docs = docs
        self.lr = linear(LR, 0.0, schedule_steps)

    def prepare(self, k: int) -> float:
        """Seconds of CPU spent on one-off work for step ``k`` (none by default)."""
        return 0.0

    def step(self, k: int) -> float:
        """Train on document ``k``; its loss before the update."""
        raise NotImplementedError


class Lean(Engine):
    def __init__(self, docs: list[list[int]], schedule_steps: int) -> None:
        super().__init__(docs, schedule_steps)
        self.schedule_steps = schedule_steps
        self.model = make_model(LeanValue, VOCAB, seed=SEED)

    def step(self, k: int) -> float:
        return train_step(self.model, self.docs[k], k, self.schedule_steps)


class Glassgrad(Engine):
    """``nn.GPT`` with ``nn.Adam``, on the ``Value`` graph or compiled."""

    def __init__(self, docs: list[list[int]], schedule_steps: int, compiled: bool) -> None:
        super().__init__(docs, schedule_steps)
        self.model = nn.GPT(VOCAB, seed=SEED)
        self.optimizer = nn.Adam(self.model.parameters(), lr=LR, betas=BETAS, eps=EPS)
        self.compiled = CompiledGPT(self.model) if compiled else None
        self.train: Callable[[Any], float] = (
            partial(self.compiled.train_step, self.optimizer) if self.compiled
            else partial(scalar_train_step, self.model, self.optimizer))

    def prepare(self, k: int) -> float:
        if self.compiled is None:
            return 0.0
        n = min(self.model.block_size, len(self.docs[k]) - 1)
        if n in self.compiled.programs:
            return 0.0
        start = time.process_time()
        self.compiled.program(n)
        return time.process_time() - start

    def step(self, k: int) -> float:
        self.optimizer.lr = self.lr(k)
        return self.train(self.docs[k])


class Torch(Engine):
    """The same GPT with PyTorch tensors (float64, one thread), all positions at once."""

    def __init__(self, docs: list[list[int]], schedule_steps: int) -> None:
        import torch

        super().__init__(docs, schedule_steps)
        torch.set_num_threads(1)
        self.torch = torch
        start = iter(p.data for p in nn.GPT(VOCAB, seed=SEED).parameters())
        shapes = {"wte": (VOCAB, 16), "wpe": (16, 16), "lm_head": (VOCAB, 16),
                  "wq": (16, 16), "wk": (16, 16), "wv": (16, 16), "wo": (16, 16),
                  "fc1": (64, 16), "fc2": (16, 64)}
        self.w = {}
        for name, (rows, cols) in shapes.items():  # nn.GPT's parameter order
            values = [[next(start) for _ in range(cols)] for _ in range(rows)]
            self.w[name] = torch.tensor(values, dtype=torch.float64, requires_grad=True)
        self.optimizer = torch.optim.Adam(self.w.values(), lr=LR, betas=BETAS, eps=EPS)

    def loss(self, tokens: list[int]) -> Any:
        torch, w = self.torch, self.w
        F = torch.nn.functional
        n = min(16, len(tokens) - 1)
        ids = torch.tensor(tokens[: n + 1])

        def rmsnorm(x: Any) -> Any:
            return x * ((x * x).mean(dim=-1, keepdim=True) + 1e-5) ** -0.5

        x = rmsnorm(w["wte"][ids[:n]] + w["wpe"][:n])
        h = rmsnorm(x)
        q, k, v = ((h @ w[m].T).view(n, 4, 4).transpose(0, 1) for m in ("wq", "wk", "wv"))
        scores = (q @ k.transpose(1, 2)) * 0.5  # 1 / sqrt(head size 4)
        mask = torch.ones(n, n, dtype=torch.bool).triu(1)
        attended = (scores.masked_fill(mask, float("-inf")).softmax(-1) @ v)
        x = attended.transpose(0, 1).reshape(n, 16) @ w["wo"].T + x
        x = F.relu(rmsnorm(x) @ w["fc1"].T) @ w["fc2"].T + x
        return F.cross_entropy(x @ w["lm_head"].T, ids[1:])

    def step(self, k: int) -> float:
        self.optimizer.zero_grad()
        loss = self.loss(self.docs[k])
        loss.backward()
        for group in self.optimizer.param_groups:
            group["lr"] = self.lr(k)
        self.optimizer.step()
        return float(loss.item())


def torch_version() -> str | None:
    """PyTorch's version, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    return str(torch.__version__)


def make_engines(docs: list[list[int]], schedule_steps: int, names: list[str]
                 ) -> dict[str, Engine]:
    """The engines called ``names``."""
    makers: dict[str, Callable[[], Engine]] = {
        "lean Value": lambda: Lean(docs, schedule_steps),
        "glassgrad scalar": lambda: Glassgrad(docs, schedule_steps, compiled=False),
        "glassgrad compiled": lambda: Glassgrad(docs, schedule_steps, compiled=True),
        "PyTorch float64": lambda: Torch(docs, schedule_steps),
    }
    return {name: makers[name]() for name in names}


def time_rounds(engines: dict[str, Engine], rounds: int, slow_steps: int, fast_steps: int
                ) -> tuple[dict[str, list[float]], dict[str, list[float]], list[float]]:
    """CPU seconds of every timed step and every engine's losses (all steps run), in
    ``rounds`` rounds plus one untimed warm-up round; and the compile times."""
    times: dict[str, list[float]] = {name: [] for name in engines}
    losses: dict[str, list[float]] = {name: [] for name in engines}
    compiles: list[float] = []
    names = list(engines)
    for r in range(rounds + 1):
        for name in names[r % len(names):] + names[: r % len(names)]:
            engine = engines[name]
            pace_collector(name != "lean Value")  # the lean engine: the thresholds as set
            gc.collect()
            for _ in range(slow_steps if name in SLOW else fast_steps):
                k = len(losses[name])
                compiles.append(engine.prepare(k))
                start = time.process_time()
                losses[name].append(engine.step(k))
                if r > 0:
                    times[name].append(time.process_time() - start)
    return times, losses, [c for c in compiles if c > 0]


def memory_of(name: str, steps: int, schedule_steps: int) -> float:
    """MB of resident memory that ``steps`` training steps of engine ``name`` add at
    their peak, measured in a fresh interpreter."""
    result = subprocess.run(
        [sys.executable, __file__, "--memory-of", name, "--memory-steps", str(steps),
         "--schedule", str(schedule_steps)],
        capture_output=True, text=True, check=True)
    return float(json.loads(result.stdout.strip().splitlines()[-1])["mb"])


def _status_mb(field: str) -> float:
    """A size from /proc/self/status in MB: ``VmRSS`` (resident now) or ``VmHWM``
    (its peak; unlike ``ru_maxrss``, not inherited from the parent across exec)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def measure_memory(name: str, steps: int, schedule_steps: int) -> None:
    """(In the child interpreter) train ``steps`` steps and print the peak growth."""
    engine = make_engines(DOCS, schedule_steps, [name])[name]
    gc.collect()
    try:  # reset VmHWM to the resident size now (Linux 4.0+), so setup peaks don't count
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        pass
    before = _status_mb("VmRSS")
    for k in range(steps):
        engine.prepare(k)
        engine.step(k)
    print(json.dumps({"mb": _status_mb("VmHWM") - before}))


def largest_difference(a: list[float], b: list[float]) -> tuple[float, int]:
    """max |a - b| over the steps both ran, and how many that is."""
    n = min(len(a), len(b))
    return max((abs(x - y) for x, y in zip(a[:n], b[:n])), default=0.0), n


def main(argv: list[str] | None = None) -> None:
    """Measure and print the comparison."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds (default 5)")
    parser.add_argument("--slow-steps", type=int, default=2,
                        help="steps per round of the scalar engines (default 2)")
    parser.add_argument("--fast-steps", type=int, default=60,
                        help="steps per round of compiled glassgrad and PyTorch (default 60)")
    parser.add_argument("--schedule", type=int, default=1000,
                        help="steps the learning rate decays over (default 1000)")
    parser.add_argument("--memory-steps", type=int, default=0,
                        help="steps trained to measure memory (default: one round's)")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory runs")
    parser.add_argument("--quick", action="store_true", help="2 rounds of 1 and 10 steps")
    parser.add_argument("--memory-of", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_of:
        measure_memory(args.memory_of, args.memory_steps, args.schedule)
        return
    if args.quick:
        args.rounds, args.slow_steps, args.fast_steps = 2, 1, 10
    version = torch_version()
    names = ["lean Value", "glassgrad scalar", "glassgrad compiled"]
    names += ["PyTorch float64"] if version else []
    engines = make_engines(DOCS, args.schedule, names)
    print(f"Python {sys.version.split()[0]}; PyTorch {version or 'not installed'}; "
          f"{len(DOCS):,} names, vocabulary {VOCAB}, 4,192 parameters; {args.rounds} rounds "
          f"of {args.slow_steps} (scalar engines) or {args.fast_steps} steps (+1 warm-up round)",
          flush=True)
    times, losses, compiles = time_rounds(engines, args.rounds, args.slow_steps,
                                          args.fast_steps)
    median = {name: statistics.median(t) for name, t in times.items()}
    memory: dict[str, float] = {}
    if not args.no_memory:
        for name in names:
            steps = args.memory_steps or (args.slow_steps if name in SLOW else args.fast_steps)
            memory[name] = memory_of(name, steps, args.schedule)
    print_table(names, median, memory, times)
    print_agreement(losses, compiles)


def _ms(seconds: float) -> str:
    return f"{1000 * seconds:,.1f} ms" if seconds < 10 else f"{seconds:.0f} s"


def print_table(names: list[str], median: dict[str, float], memory: dict[str, float],
                times: dict[str, list[float]]) -> None:
    """The side-by-side table (markdown)."""
    reference = median.get("PyTorch float64")
    print()
    print("| engine | time per step (median) | vs PyTorch | speed-up over lean Value | "
          "peak memory while training | steps timed |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in names:
        versus = f"{median[name] / reference:.2f}x" if reference else "n/a"
        lean = f"{median['lean Value'] / median[name]:.1f}x"
        mb = f"{memory[name]:.1f} MB" if name in memory else "not measured"
        print(f"| {name} | {_ms(median[name])} | {versus} | {lean} | {mb} | "
              f"{len(times[name])} |")


def print_agreement(losses: dict[str, list[float]], compiles: list[float]) -> None:
    """Compile times and how closely the engines' losses agree."""
    print()
    if compiles:
        print(f"Compiling (trace + plan, CPU time): {len(compiles)} name lengths, median "
              f"{_ms(statistics.median(compiles))}, longest {_ms(max(compiles))}, "
              f"{_ms(sum(compiles))} in all.")
    pairs = [("glassgrad scalar", "lean Value"), ("glassgrad compiled", "glassgrad scalar"),
             ("glassgrad compiled", "lean Value"), ("PyTorch float64", "glassgrad compiled")]
    for a, b in pairs:
        if a in losses and b in losses:
            worst, n = largest_difference(losses[a], losses[b])
            print(f"Losses, {a} vs {b}: largest difference {worst:.1e} over {n} steps.")


DOCS, VOCAB = load_documents(shuffle_seed=SEED)

if __name__ == "__main__":
    main()
