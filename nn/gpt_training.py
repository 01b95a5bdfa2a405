"""``train_gpt``: microgpt's training loop — one document per step, Adam
with a learning rate falling linearly to 0 — on the scalar graph, or with
``batched=True`` on the compiled numpy program (``nn.compiled``).
"""

from __future__ import annotations

import importlib.util
import numbers
import random
from collections.abc import Callable, Sequence
from typing import Any

from nn.gpt import GPT
from nn.optim import Adam
from nn.schedules import linear
from nn.train import Progress, _progress_bar

__all__ = ["train_gpt"]


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

    ``batched=True`` runs the compiled numpy program instead of the scalar
    graph (same losses, much faster), through ``nn.compiled``.
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
    if batched:
        return _batched(model, order, int(steps), lr=lr, betas=betas, eps=eps,
                        progress=progress, callback=callback)
    params = model.parameters()
    optimizer = Adam(params, lr=lr, betas=betas, eps=eps)
    schedule = linear(lr, 0.0, int(steps))
    history: dict[str, list[float]] = {"loss": []}
    bar = _progress_bar(progress)(range(int(steps)), desc="training GPT", unit="step",
                          disable=not progress)
    for k in bar:
        loss = model.loss(order[k % len(order)])
        for p in params:
            p.grad = 0.0
        loss.backward()
        optimizer.lr = schedule(k)
        optimizer.step()
        history["loss"].append(loss.data)
        bar.set_postfix(loss=f"{loss.data:.4f}", refresh=False)
        if callback is not None:
            callback(k, loss.data)
    bar.close()
    return history


def compiled_available() -> bool:
    """Whether the compiled GPT path (``nn.compiled``) is installed."""
    return importlib.util.find_spec("nn.compiled") is not None


def _batched(model: GPT, docs: list[Any], steps: int, **settings: Any) -> dict[str, list[float]]:
    """The one dispatch point to the compiled path, ``nn.compiled.train_gpt``."""
    if not compiled_available():
        raise RuntimeError("train_gpt: batched=True needs the compiled GPT path (nn.compiled), "
                           "which this glassgrad does not have yet; use batched=False")
    compiled = importlib.import_module("nn.compiled")
    history: dict[str, list[float]] = compiled.train_gpt(model, docs, steps, **settings)
    return history
