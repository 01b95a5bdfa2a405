"""``Embedding``: a table of learned vectors, one row per token.

Looking a token up returns that row's parameter ``Value`` nodes themselves,
so the gradient of a loss lands directly on the rows that were used.
"""

from __future__ import annotations

import numbers
import random
from typing import Any

from engine import Value
from engine.checks import short_repr, to_float
from nn.init import make_rng
from nn.layers import _check_size, _scope_if_top_level, register_module
from nn.limits import claim_parameters
from nn.module import Module

__all__ = ["Embedding"]


@register_module
class Embedding(Module):
    """``num`` vectors of ``dim`` numbers each; ``embedding(i)`` is row ``i``.

    Rows are drawn from a normal distribution with standard deviation ``std``
    (0.08, as in Karpathy's microgpt). Parameters are named
    ``weight.<row>.<column>``.
    """

    def __init__(
        self, num: int, dim: int, *, std: float = 0.08, seed: int | random.Random | None = None
    ) -> None:
        self.num = _check_size(num, "Embedding num")
        self.dim = _check_size(dim, "Embedding dim")
        claim_parameters(self.num * self.dim, f"Embedding({self.num}, {self.dim})")
        self.std = to_float(std, "Embedding std")
        rng = make_rng(seed) or random
        with _scope_if_top_level("embedding"):
            self.weight = [[Value(rng.gauss(0.0, self.std), label=f"e{r}.{c}")
                            for c in range(self.dim)] for r in range(self.num)]

    def __call__(self, index: Any) -> list[Value]:
        """Row ``index`` (an integer in ``0 .. num - 1``): a list of ``dim`` Values."""
        if isinstance(index, bool) or not isinstance(index, numbers.Integral):
            raise TypeError(f"{self!r}: expected an integer index, got {short_repr(index)}")
        row = int(index)
        if not 0 <= row < self.num:
            raise IndexError(f"{self!r}: index {row} is out of range 0..{self.num - 1}")
        return list(self.weight[row])

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``weight.<row>.<column>`` for every entry, row by row."""
        return [(f"weight.{r}.{c}", v) for r, row in enumerate(self.weight)
                for c, v in enumerate(row)]

    def config(self) -> dict[str, Any]:
        """``{"type": "Embedding", "num": ..., "dim": ...}``."""
        return {"type": "Embedding", "num": self.num, "dim": self.dim}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Embedding:
        """A new ``Embedding`` with the architecture ``config``."""
        return cls(config["num"], config["dim"], seed=0)

    def __repr__(self) -> str:
        return f"Embedding({self.num}, {self.dim})"
