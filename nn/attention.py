"""Causal multi-head self-attention, one position at a time, with a
key/value cache.

Each new position computes its query, key and value, appends the key and
value to the cache, and attends over every position cached so far — itself
and the ones before it, never later ones: that is what makes it causal, and
no mask is needed.
"""

from __future__ import annotations

import math
import random
from typing import Any

from engine import Value, name_scope
from nn.functional import softmax
from nn.init import make_rng
from nn.layers import Linear, _check_size, prefixed, register_module
from nn.module import Module

__all__ = ["CausalSelfAttention", "KVCache"]


class KVCache:
    """The keys and values of every position seen so far, for one attention
    layer, and the attention weights each position used (``weights[t][h]``:
    position t's weights over positions 0..t in head h, as floats)."""

    def __init__(self) -> None:
        self.keys: list[list[Value]] = []
        self.values: list[list[Value]] = []
        self.weights: list[list[list[float]]] = []

    def __len__(self) -> int:
        return len(self.keys)

    def __repr__(self) -> str:
        return f"KVCache({len(self)} position(s))"


@register_module
class CausalSelfAttention(Module):
    """``n_head`` attention heads over vectors of ``n_embd`` numbers.

    The query, key, value and output projections are :class:`nn.Linear`
    layers without bias (``wq``, ``wk``, ``wv``, ``wo``); each head reads a
    slice of ``n_embd // n_head`` numbers and scales its dot products by
    ``1 / sqrt(head size)``.
    """

    def __init__(
        self, n_embd: int, n_head: int, *, seed: int | random.Random | None = None
    ) -> None:
        self.n_embd = _check_size(n_embd, "CausalSelfAttention n_embd")
        self.n_head = _check_size(n_head, "CausalSelfAttention n_head")
        if self.n_embd % self.n_head:
            raise ValueError(f"CausalSelfAttention: n_embd ({n_embd}) must be a multiple "
                             f"of n_head ({n_head})")
        self.head_size = self.n_embd // self.n_head
        rng = make_rng(seed) or random
        self.wq, self.wk, self.wv, self.wo = (self._projection(name, rng)
                                              for name in ("wq", "wk", "wv", "wo"))

    def _projection(self, name: str, rng: random.Random | Any) -> Linear:
        with name_scope(name):
            return Linear(self.n_embd, self.n_embd, bias=False, seed=rng)

    def __call__(self, x: Any, cache: KVCache | None = None) -> list[Value]:
        """The attention output for the next position ``x`` (``n_embd`` Values),
        attending over ``cache`` and then adding this position to it."""
        if cache is None:
            cache = KVCache()
        with name_scope("wq"):
            q = self.wq(x)
        with name_scope("wk"):
            cache.keys.append(self.wk(x))
        with name_scope("wv"):
            cache.values.append(self.wv(x))
        heads: list[Value] = []
        weights = []
        scale = 1.0 / math.sqrt(self.head_size)
        for h in range(self.n_head):
            with name_scope(f"heads.{h}"):
                out, w = self._head(q, cache, h * self.head_size, scale)
            heads.extend(out)
            weights.append([wt.data if isinstance(wt, Value) else float(wt) for wt in w])
        cache.weights.append(weights)
        with name_scope("wo"):
            return self.wo(heads)

    def _head(self, q: list[Value], cache: KVCache, start: int,
              scale: float) -> tuple[list[Value], list[Any]]:
        """One head: softmax of scaled dot products with every cached key,
        then the weighted sum of the cached values."""
        span = range(start, start + self.head_size)
        scores = []
        for k in cache.keys:
            dot = q[start] * k[start]
            for j in span[1:]:
                dot = dot + q[j] * k[j]
            scores.append(dot * scale)
        w = softmax(scores)
        out = []
        for j in span:
            total = w[0] * cache.values[0][j]
            for t in range(1, len(cache.values)):
                total = total + w[t] * cache.values[t][j]
            out.append(total)
        return out, w

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``wq.*``, ``wk.*``, ``wv.*`` then ``wo.*``."""
        return (prefixed("wq", self.wq) + prefixed("wk", self.wk)
                + prefixed("wv", self.wv) + prefixed("wo", self.wo))

    def config(self) -> dict[str, Any]:
        """``{"type": "CausalSelfAttention", "n_embd": ..., "n_head": ...}``."""
        return {"type": "CausalSelfAttention", "n_embd": self.n_embd, "n_head": self.n_head}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> CausalSelfAttention:
        """A new attention layer with the architecture ``config``."""
        return cls(config["n_embd"], config["n_head"], seed=0)

    def __repr__(self) -> str:
        return f"CausalSelfAttention(n_embd={self.n_embd}, n_head={self.n_head})"
