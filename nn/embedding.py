"""``Embedding``: a table of learned vectors, one row per token.

Looking a token up returns that row's parameter ``Value`` nodes themselves,
so the gradient of a loss lands directly on the rows that were used. A
one-hot vector looks a token up too, as the sum of every row times its
entry: a graph that does not depend on which token it is, so a compiled
program (``engine.batch``) replays it for any token.
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
        """Row ``index`` (an integer in ``0 .. num - 1``): a list of ``dim`` Values.

        ``index`` may also be a one-hot vector (a list of ``num`` numbers or
        Values): then each column is ``sum_r index[r] * weight[r][column]``."""
        if isinstance(index, (list, tuple)):
            return self._mixed(index)
        if isinstance(index, bool) or not isinstance(index, numbers.Integral):
            raise TypeError(f"{self!r}: expected an integer index or a one-hot vector, "
                            f"got {short_repr(index)}")
        row = int(index)
        if not 0 <= row < self.num:
            raise IndexError(f"{self!r}: index {row} is out of range 0..{self.num - 1}")
        return list(self.weight[row])

    def _mixed(self, one_hot: list[Any] | tuple[Any, ...]) -> list[Value]:
        if len(one_hot) != self.num:
            raise ValueError(f"{self!r}: a one-hot vector needs {self.num} entries, "
                             f"got {len(one_hot)}")
        columns = []
        for c in range(self.dim):
            total = one_hot[0] * self.weight[0][c]
            for r in range(1, self.num):
                total = total + one_hot[r] * self.weight[r][c]
            columns.append(total)
        return columns

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
