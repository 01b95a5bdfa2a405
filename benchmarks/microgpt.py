"""The microgpt workload, written once for any micrograd-style ``Value`` class.

A tiny GPT as in Karpathy's microgpt (February 2026), on plain scalar nodes:
``n_embd=16``, 4 heads, 1 layer, ``block_size=16``, RMSNorm, causal attention
with a key/value cache built position by position, a ReLU MLP, a linear head,
Adam with linear learning-rate decay, one document (a name) per step. Nothing
here depends on an engine: pass the ``Value`` class, and the very same code
builds the very same graph, so engines can be timed against each other and
their losses compared.

The ``Value`` class needs ``+ - * /``, ``**`` by a number, ``exp() log()
relu()``, reflected operators with plain numbers, and ``data``/``grad``
attributes; both ``benchmarks/lean_value.LeanValue`` and ``engine.Value`` do.

API (stable; ``benchmarks/bench_scalar_gpt.py`` and ``bench_gpt.py`` use it):

- ``load_documents()`` -> ``(documents, vocab_size)``: the names as token lists
  ``[BOS, ...chars, BOS]``;
- ``make_model(value_cls, vocab_size, seed)`` -> :class:`Model` (same seed,
  same initial weights for every engine);
- ``forward(model, tokens)`` -> the mean cross-entropy loss node of one document;
- ``adam_step(model, step, num_steps)``: one Adam update from ``p.grad``, then
  ``p.grad = 0``;
- ``train_step(model, tokens, step, num_steps)`` -> the loss as a float
  (forward, backward, Adam).

>>> from lean_value import LeanValue
>>> docs, vocab = load_documents()
>>> model = make_model(LeanValue, vocab, seed=0)
>>> len(model.params), round(train_step(model, docs[0], 0, 10), 4) > 0
(4192, True)
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "BLOCK_SIZE",
    "N_EMBD",
    "N_HEAD",
    "N_LAYER",
    "Model",
    "adam_step",
    "forward",
    "load_documents",
    "make_model",
    "train_step",
]

N_EMBD = 16
N_HEAD = 4
N_LAYER = 1
BLOCK_SIZE = 16
HEAD_DIM = N_EMBD // N_HEAD
LEARNING_RATE, BETA1, BETA2, EPS = 0.01, 0.85, 0.99, 1e-8

Matrix = list[list[Any]]
"""Rows of ``Value`` nodes (one row per output)."""


@dataclass
class Model:
    """The weights (by name, each a matrix of ``Value`` leaves), all of them as
    one flat list ``params``, and Adam's moment estimates (plain floats)."""

    weights: dict[str, Matrix]
    params: list[Any]
    m: list[float] = field(default_factory=list)
    v: list[float] = field(default_factory=list)


def load_documents(shuffle_seed: int = 42) -> tuple[list[list[int]], int]:
    """The shipped names (shuffled with ``shuffle_seed``) as token lists with BOS
    at both ends, and the vocabulary size (27: a-z and BOS)."""
    from nn import CharTokenizer, load_names

    names = load_names(shuffle=True, seed=shuffle_seed)
    tokenizer = CharTokenizer(names)
    return [tokenizer.document(name) for name in names], tokenizer.vocab_size


def make_model(value_cls: type, vocab_size: int, seed: int = 42) -> Model:
    """A freshly initialised GPT whose weights are ``value_cls`` leaves drawn
    from N(0, 0.08²) by ``random.Random(seed)`` (engine-independent)."""
    rng = random.Random(seed)

    def matrix(n_out: int, n_in: int) -> Matrix:
        return [[value_cls(rng.gauss(0.0, 0.08)) for _ in range(n_in)] for _ in range(n_out)]

    weights = {"wte": matrix(vocab_size, N_EMBD), "wpe": matrix(BLOCK_SIZE, N_EMBD),
               "lm_head": matrix(vocab_size, N_EMBD)}
    for i in range(N_LAYER):
        for name in ("wq", "wk", "wv", "wo"):
            weights[f"layer{i}.{name}"] = matrix(N_EMBD, N_EMBD)
        weights[f"layer{i}.fc1"] = matrix(4 * N_EMBD, N_EMBD)
        weights[f"layer{i}.fc2"] = matrix(N_EMBD, 4 * N_EMBD)
    params = [p for rows in weights.values() for row in rows for p in row]
    return Model(weights, params, [0.0] * len(params), [0.0] * len(params))


def linear(x: Sequence[Any], w: Matrix) -> list[Any]:
    """``w @ x`` as sums of products."""
    return [sum(wi * xi for wi, xi in zip(row, x)) for row in w]


def softmax(logits: Sequence[Any]) -> list[Any]:
    """exp(logit - max) / sum: the shift is a plain number read from ``.data``."""
    shift = max(value.data for value in logits)
    exps = [(value - shift).exp() for value in logits]
    total = sum(exps)
    return [e / total for e in exps]


def rmsnorm(x: Sequence[Any]) -> list[Any]:
    """x / sqrt(mean(x²) + 1e-5)."""
    mean_square = sum(xi * xi for xi in x) / len(x)
    scale = (mean_square + 1e-5) ** -0.5
    return [xi * scale for xi in x]


def gpt(model: Model, token: int, position: int, keys: list[list[Any]],
        values: list[list[Any]]) -> list[Any]:
    """The logits for the next token after ``token`` at ``position``; appends
    this position's keys and values to the per-layer caches."""
    w = model.weights
    x = [t + p for t, p in zip(w["wte"][token], w["wpe"][position])]
    x = rmsnorm(x)
    for li in range(N_LAYER):
        residual = x
        x = rmsnorm(x)
        q = linear(x, w[f"layer{li}.wq"])
        keys[li].append(linear(x, w[f"layer{li}.wk"]))
        values[li].append(linear(x, w[f"layer{li}.wv"]))
        attended: list[Any] = []
        for h in range(N_HEAD):
            lo = h * HEAD_DIM
            q_h = q[lo:lo + HEAD_DIM]
            k_h = [k[lo:lo + HEAD_DIM] for k in keys[li]]
            v_h = [v[lo:lo + HEAD_DIM] for v in values[li]]
            logits = [sum(q_h[j] * k_t[j] for j in range(HEAD_DIM)) / HEAD_DIM**0.5
                      for k_t in k_h]
            weights = softmax(logits)
            attended.extend(sum(weights[t] * v_h[t][j] for t in range(len(v_h)))
                            for j in range(HEAD_DIM))
        x = [a + b for a, b in zip(linear(attended, w[f"layer{li}.wo"]), residual)]
        residual = x
        x = [xi.relu() for xi in linear(rmsnorm(x), w[f"layer{li}.fc1"])]
        x = [a + b for a, b in zip(linear(x, w[f"layer{li}.fc2"]), residual)]
    return linear(x, w["lm_head"])


def forward(model: Model, tokens: Sequence[int]) -> Any:
    """The mean cross-entropy of predicting each next token of one document
    (at most ``BLOCK_SIZE`` positions)."""
    n = min(BLOCK_SIZE, len(tokens) - 1)
    keys: list[list[Any]] = [[] for _ in range(N_LAYER)]
    values: list[list[Any]] = [[] for _ in range(N_LAYER)]
    losses = []
    for position in range(n):
        probs = softmax(gpt(model, tokens[position], position, keys, values))
        losses.append(-probs[tokens[position + 1]].log())
    return (1 / n) * sum(losses)


def adam_step(model: Model, step: int, num_steps: int) -> None:
    """One Adam update of every parameter from its ``grad`` (learning rate decaying
    linearly to 0 over ``num_steps``), then ``grad = 0``."""
    lr = LEARNING_RATE * (1 - step / num_steps)
    m, v = model.m, model.v
    for i, p in enumerate(model.params):
        g = p.grad
        m[i] = BETA1 * m[i] + (1 - BETA1) * g
        v[i] = BETA2 * v[i] + (1 - BETA2) * g**2
        m_hat = m[i] / (1 - BETA1 ** (step + 1))
        v_hat = v[i] / (1 - BETA2 ** (step + 1))
        p.data -= lr * m_hat / (v_hat**0.5 + EPS)
        p.grad = 0.0


def train_step(model: Model, tokens: Sequence[int], step: int, num_steps: int) -> float:
    """Forward, backward and Adam on one document; the loss before the update."""
    loss = forward(model, tokens)
    loss.backward()
    adam_step(model, step, num_steps)
    return float(loss.data)
