"""The benchmark's lean reference engine (benchmarks/lean_value.py) and the
microgpt workload (benchmarks/microgpt.py) compute what glassgrad computes:
same losses and gradients, so timing one against the other is fair."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from engine import Value

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from lean_value import LeanValue
from microgpt import adam_step, forward, load_documents, make_model
from test_micrograd_compat import README_EXAMPLE


def test_lean_value_gives_micrograds_readme_numbers() -> None:
    namespace: dict[str, Any] = {}
    exec(README_EXAMPLE.replace("from micrograd.engine import Value",
                                "from lean_value import LeanValue as Value"), namespace)
    g, a, b = namespace["g"], namespace["a"], namespace["b"]
    assert (round(g.data, 4), round(a.grad, 4), round(b.grad, 4)) == (24.7041, 138.8338, 645.5773)


def test_one_training_step_agrees_between_the_engines() -> None:
    docs, vocab = load_documents()
    lean, ours = make_model(LeanValue, vocab, seed=3), make_model(Value, vocab, seed=3)
    assert len(ours.params) == 4_192
    for step in range(2):
        losses = []
        for model in (lean, ours):
            loss = forward(model, docs[step])
            loss.backward()
            losses.append(loss.data)
        assert losses[0] == pytest.approx(losses[1], abs=1e-12)
        for p, q in zip(lean.params, ours.params):
            assert p.grad == pytest.approx(q.grad, abs=1e-12)
        for model in (lean, ours):
            adam_step(model, step, 10)
        for p, q in zip(lean.params, ours.params):
            assert p.data == pytest.approx(q.data, abs=1e-12) and q.grad == 0.0
