"""``GPT``: a tiny Transformer language model on scalar ``Value`` nodes, as
in Karpathy's microgpt (February 2026).

Per position: token embedding plus position embedding, RMSNorm, then each
layer — RMSNorm, causal multi-head self-attention with a key/value cache,
a residual connection, RMSNorm, a ReLU MLP (4x wide), a residual connection —
then a linear head giving one logit per token. Defaults: ``n_embd=16,
n_head=4, n_layer=1, block_size=16``; on the 27-token names vocabulary that
is 4,192 parameters.

>>> from nn.tokenizer import CharTokenizer
>>> model = GPT(CharTokenizer(["emma", "olivia"]), seed=0)
>>> len(model.parameters())
3584
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from engine import Value, name_scope, no_grad
from engine.checks import short_repr, to_float
from nn.attention import CausalSelfAttention, KVCache
from nn.embedding import Embedding
from nn.functional import log_softmax, softmax
from nn.layers import Linear, _check_size, prefixed, register_module
from nn.module import Module
from nn.norms import RMSNorm
from nn.tokenizer import CharTokenizer

__all__ = ["GPT", "Block"]


@register_module
class Block(Module):
    """One Transformer layer: ``x + attn(norm(x))``, then ``x + mlp(norm(x))``
    with ``mlp = fc2(relu(fc1(x)))`` four times as wide inside."""

    def __init__(
        self, n_embd: int, n_head: int, *, seed: int | random.Random | None = None
    ) -> None:
        rng = seed if isinstance(seed, random.Random) else random.Random(seed)
        self.norm_attn = RMSNorm(n_embd)
        with name_scope("attn"):
            self.attn = CausalSelfAttention(n_embd, n_head, seed=rng)
        self.norm_mlp = RMSNorm(n_embd)
        with name_scope("fc1"):
            self.fc1 = Linear(n_embd, 4 * n_embd, bias=False, seed=rng)
        with name_scope("fc2"):
            self.fc2 = Linear(4 * n_embd, n_embd, bias=False, seed=rng)

    def __call__(self, x: Any, cache: KVCache | None = None) -> list[Value]:
        """The layer's output for the next position ``x``, attending over ``cache``."""
        with name_scope("attn"):
            attended = self.attn(self.norm_attn(x), cache)
        x = [a + r for a, r in zip(attended, x)]
        with name_scope("mlp"):
            hidden = [h.relu() for h in self.fc1(self.norm_mlp(x))]
            out = self.fc2(hidden)
        return [a + r for a, r in zip(out, x)]

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``attn.*``, ``fc1.*`` then ``fc2.*``."""
        return prefixed("attn", self.attn) + prefixed("fc1", self.fc1) + prefixed("fc2", self.fc2)

    def config(self) -> dict[str, Any]:
        """``{"type": "Block", "n_embd": ..., "n_head": ...}``."""
        return {"type": "Block", "n_embd": self.attn.n_embd, "n_head": self.attn.n_head}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Block:
        """A new layer with the architecture ``config``."""
        return cls(config["n_embd"], config["n_head"], seed=0)


@register_module
class GPT(Module):
    """A character-level GPT.

    ``vocab`` is a :class:`nn.CharTokenizer` (then :meth:`sample` returns
    text and the tokenizer is saved with the model) or a vocabulary size.
    Weights are drawn from N(0, 0.08²) with ``seed`` (an int or a
    ``random.Random``; None: Python's global ``random``).

    ``model(tokens)`` gives the logits at every position of a token list;
    :meth:`loss` the mean next-token cross-entropy of one document;
    :meth:`step` runs one position against explicit key/value caches.
    """

    def __init__(
        self,
        vocab: CharTokenizer | int,
        *,
        n_embd: int = 16,
        n_head: int = 4,
        n_layer: int = 1,
        block_size: int = 16,
        seed: int | random.Random | None = 42,
    ) -> None:
        if isinstance(vocab, CharTokenizer):
            self.tokenizer: CharTokenizer | None = vocab
            self.vocab_size = vocab.vocab_size
        else:
            self.tokenizer = None
            self.vocab_size = _check_size(vocab, "GPT vocab_size")
        self.n_embd = _check_size(n_embd, "GPT n_embd")
        self.n_head = _check_size(n_head, "GPT n_head")
        self.n_layer = _check_size(n_layer, "GPT n_layer")
        self.block_size = _check_size(block_size, "GPT block_size")
        if self.n_embd % self.n_head:
            raise ValueError(f"GPT: n_embd ({n_embd}) must be a multiple of n_head ({n_head})")
        rng: Any = seed if isinstance(seed, random.Random) or seed is None else random.Random(seed)
        with name_scope("wte"):
            self.wte = Embedding(self.vocab_size, self.n_embd, seed=rng)
        with name_scope("wpe"):
            self.wpe = Embedding(self.block_size, self.n_embd, seed=rng)
        with name_scope("lm_head"):
            self.lm_head = Linear(self.n_embd, self.vocab_size, bias=False, seed=rng)
        self.norm = RMSNorm(self.n_embd)
        self.layers = []
        for i in range(self.n_layer):
            with name_scope(f"layers.{i}"):
                self.layers.append(Block(self.n_embd, self.n_head, seed=rng))

    # -- running it ---------------------------------------------------------

    def new_cache(self) -> list[KVCache]:
        """Empty key/value caches, one per layer, for a new sequence."""
        return [KVCache() for _ in self.layers]

    def step(self, token: Any, pos: int, caches: list[KVCache]) -> list[Value]:
        """The logits for the token after ``token`` (an id, or a one-hot vector:
        see :class:`nn.Embedding`) at position ``pos``; appends this position's
        keys and values to ``caches``."""
        if not isinstance(pos, int) or not 0 <= pos < self.block_size:
            raise IndexError(f"GPT.step: position {short_repr(pos)} is outside the block "
                             f"(0..{self.block_size - 1})")
        with name_scope("embed"):
            x = [t + p for t, p in zip(self.wte(token), self.wpe(pos))]
            x = self.norm(x)
        for i, (layer, cache) in enumerate(zip(self.layers, caches)):
            with name_scope(f"layers.{i}"):
                x = layer(x, cache)
        with name_scope("lm_head"):
            return self.lm_head(x)

    def __call__(self, tokens: Any) -> list[list[Value]]:
        """The logits at every position of ``tokens`` (at most ``block_size`` ids)."""
        ids = self._tokens(tokens, "GPT")
        caches = self.new_cache()
        return [self.step(token, pos, caches) for pos, token in enumerate(ids)]

    def loss(self, doc: Sequence[Any] | str) -> Value:
        """Mean cross-entropy of predicting each next token of one document.

        ``doc`` is a text (needs the model's tokenizer; BOS is added at both
        ends) or a token list that already holds them. The first
        ``block_size`` predictions count. The tokens may also be one-hot
        vectors (lists of ``vocab_size`` numbers or Values): then the graph is
        the same for every document of that length, which is how
        ``nn.compiled`` traces one program per length."""
        ids = self.document(doc)
        n = min(self.block_size, len(ids) - 1)
        caches = self.new_cache()
        total: Any = None
        for pos in range(n):
            logits = self.step(ids[pos], pos, caches)
            with name_scope("loss"):
                nll = -_picked(log_softmax(logits), ids[pos + 1])
                total = nll if total is None else total + nll
        mean: Value = total * (1.0 / n)
        return mean

    def sample(self, k: int = 1, temperature: float = 0.5,
               seed: int | random.Random | None = None) -> list[Any]:
        """``k`` new documents, each generated token by token from BOS until
        BOS comes out again or the block is full. ``temperature`` (> 0) divides
        the logits: lower is more conservative. Texts if the model has a
        tokenizer, else token lists. Builds no graph."""
        k = _check_size(k, "GPT.sample k")
        temperature = to_float(temperature, "GPT.sample temperature")
        if temperature <= 0:
            raise ValueError(f"GPT.sample temperature: expected a number > 0, got {temperature}")
        rng = seed if isinstance(seed, random.Random) else random.Random(seed)
        bos = self.vocab_size - 1 if self.tokenizer is None else self.tokenizer.bos
        samples: list[Any] = []
        with no_grad():
            for _ in range(k):
                caches, token, out = self.new_cache(), bos, []
                for pos in range(self.block_size):
                    logits = self.step(token, pos, caches)
                    probs = [_data(p) for p in softmax([_data(z) / temperature for z in logits])]
                    token = rng.choices(range(self.vocab_size), weights=probs)[0]
                    if token == bos:
                        break
                    out.append(token)
                samples.append(self.tokenizer.decode(out) if self.tokenizer else out)
        return samples

    # -- checks ---------------------------------------------------------------

    def _tokens(self, tokens: Any, where: str) -> list[int]:
        """``tokens`` as a checked list of token ids that fits in the block."""
        if isinstance(tokens, str):
            raise TypeError(f"{where}: expected a list of token ids, got a string; "
                            f"encode it with the tokenizer first")
        ids = self._ids(tokens, where)
        if not 0 < len(ids) <= self.block_size:
            raise ValueError(f"{where}: expected 1..{self.block_size} tokens, got {len(ids)}")
        return ids

    def _ids(self, tokens: Any, where: str) -> list[int]:
        ids = list(tokens)
        for i in ids:
            if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < self.vocab_size:
                raise ValueError(f"{where}: {short_repr(i)} is not a token id "
                                 f"(0..{self.vocab_size - 1})")
        return ids

    def document(self, doc: Sequence[Any] | str) -> list[Any]:
        """``doc`` as checked token ids (or one-hot vectors), BOS added at both ends
        of a text: what :meth:`loss` reads."""
        if isinstance(doc, str):
            if self.tokenizer is None:
                raise TypeError("GPT.loss: this model has no tokenizer; pass token ids")
            return self.tokenizer.document(doc)
        items = list(doc)
        if items and all(isinstance(t, (list, tuple)) for t in items):
            ids = items
            for t in ids:
                if len(t) != self.vocab_size:
                    raise ValueError(f"GPT.loss: a one-hot token needs {self.vocab_size} "
                                     f"entries, got {len(t)}")
        else:
            ids = self._ids(items, "GPT.loss")
        if len(ids) < 2:
            raise ValueError(f"GPT.loss: a document needs at least 2 tokens, got {len(ids)}")
        return ids

    # -- parameters and saving ----------------------------------------------------

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``wte.*``, ``wpe.*``, ``lm_head.*``, then ``layers.<i>.*``."""
        named = prefixed("wte", self.wte) + prefixed("wpe", self.wpe)
        named += prefixed("lm_head", self.lm_head)
        for i, layer in enumerate(self.layers):
            named += prefixed(f"layers.{i}", layer)
        return named

    def config(self) -> dict[str, Any]:
        """The sizes, and the tokenizer's characters when there is one."""
        config: dict[str, Any] = {"type": "GPT", "vocab_size": self.vocab_size,
                                  "n_embd": self.n_embd, "n_head": self.n_head,
                                  "n_layer": self.n_layer, "block_size": self.block_size}
        if self.tokenizer is not None:
            config["chars"] = self.tokenizer.chars
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> GPT:
        """A new GPT with the architecture ``config``."""
        vocab: CharTokenizer | int = (CharTokenizer(config["chars"]) if "chars" in config
                                      else config["vocab_size"])
        return cls(vocab, n_embd=config["n_embd"], n_head=config["n_head"],
                   n_layer=config["n_layer"], block_size=config["block_size"], seed=0)

    def __repr__(self) -> str:
        return (f"GPT(vocab_size={self.vocab_size}, n_embd={self.n_embd}, n_head={self.n_head}, "
                f"n_layer={self.n_layer}, block_size={self.block_size})")


def _picked(log_probs: list[Any], target: Any) -> Any:
    """``log_probs[target]`` for a token id; for a one-hot ``target`` the sum of
    ``target[v] * log_probs[v]`` (the same number: every other term is 0)."""
    if not isinstance(target, (list, tuple)):
        return log_probs[target]
    total = target[0] * log_probs[0]
    for o, lp in zip(target[1:], log_probs[1:]):
        total = total + o * lp
    return total


def _data(x: Any) -> float:
    return x.data if isinstance(x, Value) else float(x)


