"""``Dropout``: in training mode, zero each input with probability ``p``
and scale the rest by ``1 / (1 - p)``; in evaluation mode, pass inputs
through unchanged. It fights overfitting: no unit can rely on one other.
"""

from __future__ import annotations

import random
from typing import Any

from engine.checks import short_repr, to_float
from nn.init import make_rng
from nn.module import Module

__all__ = ["Dropout"]


class Dropout(Module):
    """Inverted dropout with drop probability ``p`` (0 <= p < 1).

    ``seed`` (an int or a ``random.Random``) makes the drops reproducible;
    None draws from Python's global ``random``. Which inputs were dropped in
    the latest call is kept in ``last_mask`` (1 kept, 0 dropped). Use
    ``model.train()`` / ``model.eval()`` to switch mode on a whole model.
    """

    def __init__(self, p: float = 0.5, *, seed: int | random.Random | None = None) -> None:
        self.p = to_float(p, "Dropout p")
        if not 0.0 <= self.p < 1.0:
            raise ValueError(f"Dropout p: expected a probability in [0, 1), got {short_repr(p)}")
        self.rng = make_rng(seed) or random
        self.last_mask: list[int] = []

    def __call__(self, x: Any) -> list[Any]:
        """One sample's inputs (a list of numbers or Values), some dropped in training mode."""
        if not isinstance(x, (list, tuple)):
            raise TypeError(f"{self!r}: expected a list of numbers or Values, got {short_repr(x)}")
        if not self.training or self.p == 0.0:
            self.last_mask = [1] * len(x)
            return list(x)
        self.last_mask = [0 if self.rng.random() < self.p else 1 for _ in x]
        keep = 1.0 / (1.0 - self.p)
        return [xi * (keep * kept) for xi, kept in zip(x, self.last_mask)]

    def config(self) -> dict[str, Any]:
        """``{"type": "Dropout", "p": ...}``."""
        return {"type": "Dropout", "p": self.p}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Dropout:
        """A new ``Dropout`` with the architecture ``config``."""
        return cls(config["p"], seed=0)

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"


