"""``train_gpt``: microgpt's training loop — one document per step, Adam
with a learning rate falling linearly to 0 — on the scalar graph, or with
``batched=True`` on compiled numpy programs (:mod:`nn.compiled`).
"""

from __future__ import annotations

import numbers
import random
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from nn.compiled import CompiledGPT
from nn.gpt import GPT
from nn.optim import Adam
from nn.schedules import linear
from nn.train import Progress, progress_bar

__all__ = ["scalar_train_step", "train_gpt"]


def train_gpt(
    model: GPT,
    docs: Sequence[str] | Sequence[Sequence[int]],
    steps: int = 1000,
    *,
    lr: float = 0.01,
    betas: tuple[float, float] = (0.85, 0.99),
    eps: float = 1e-8,
    seed: int | None = 42,
    batched: bool = False,
    progress: Progress = True,
    callback: Callable[[int, float], None] | None = None,
) -> dict[str, list[float]]:
    """Train ``model`` for ``steps`` steps and return ``{"loss": [...]}``,
    the loss of each step's document (before that step's update).

    ``docs`` are texts (the model needs a tokenizer) or token lists with BOS
    at both ends; they are shuffled with ``seed`` and taken one per step,
    round and round. Adam (``betas`` (0.85, 0.99) and ``eps`` as in microgpt)
    with learning rate ``lr * (1 - k / steps)`` at step ``k``. ``progress``
    shows a bar with the loss (True, "text" or False, as for ``nn.fit``);
    ``callback(k, loss)`` is called after every step.

    ``batched=True`` runs compiled numpy programs instead of the scalar graph
    (same losses to round-off, much faster; one program compiled per document
    length, see :class:`nn.compiled.CompiledGPT`); the trained values are
    written into the model's parameters at the end (or when interrupted).
    """
    where = "train_gpt"
    if not isinstance(model, GPT):
        raise TypeError(f"{where}: expected an nn.GPT model, got {type(model).__name__}")
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 1:
        raise ValueError(f"{where}: steps must be a positive integer, got {steps!r}")
    if isinstance(docs, str) or not isinstance(docs, Sequence) or len(docs) == 0:
        raise ValueError(f"{where}: expected a non-empty list of documents")
    order = list(docs)
    random.Random(seed).shuffle(order)
    params = model.parameters()
    optimizer = Adam(params, lr=lr, betas=betas, eps=eps)
    compiled = CompiledGPT(model) if batched else None
    train_step = (partial(compiled.train_step, optimizer) if compiled
                  else partial(scalar_train_step, model, optimizer))
    schedule = linear(lr, 0.0, int(steps))
    history: dict[str, list[float]] = {"loss": []}
    bar = progress_bar(progress)(range(int(steps)), desc="training GPT", unit="step",
                          disable=not progress)
    try:
        for k in bar:
            optimizer.lr = schedule(k)
            loss = train_step(order[k % len(order)])
            history["loss"].append(loss)
            bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
            if callback is not None:
                callback(k, loss)
    finally:
        bar.close()
        if compiled is not None:
            compiled.write_back()
    return history


def scalar_train_step(model: GPT, optimizer: Adam, doc: Any) -> float:
    """One training step on the scalar graph: ``doc``'s loss (before the update),
    after one Adam step of every parameter."""
    loss = model.loss(doc)
    for p in optimizer.params:
        p.grad = 0.0
    loss.backward()
    optimizer.step()
    return loss.data
