"""A GPT run as compiled numpy programs: one per document length, traced once.

:meth:`nn.GPT.loss` traced with one-hot tokens (Values standing for a document's
token ids) is the same graph for every document of that length: the embeddings
are sums of rows times one-hot entries, the target's log-probability likewise,
and the softmax shift is a tree of ``maximum`` ops, so a replay recomputes it
for every document. :class:`CompiledGPT` compiles that graph once per length
with :func:`engine.batch.compile_batch` (its cache is keyed by the length, the
only thing that changes the graph), runs several documents of one length as one
batch, and keeps the parameters in one numpy vector that an optimizer steps
with :meth:`nn.optim.Optimizer.update`, with no per-``Value`` writes.

>>> from nn.gpt import GPT
>>> from nn.tokenizer import CharTokenizer
>>> model = GPT(CharTokenizer(["emma", "olivia", "ava"]), n_embd=8, n_head=2, seed=0)
>>> compiled = CompiledGPT(model)
>>> abs(compiled.run(["emma"]).loss - model.loss("emma").data) < 1e-12
True
>>> compiled.run(["ava", "mia"]).losses.shape, compiled.compilations  # "mia": 5 tokens too
((2,), 2)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from engine import Value, name_scope
from engine.batch import BatchProgram, BatchResult, compile_batch
from engine.collector import collector_stopped
from nn.gpt import GPT
from nn.optim import Optimizer

__all__ = ["CompiledGPT"]


class CompiledGPT:
    """``model`` as compiled programs, one per document length, sharing one vector
    of parameter values.

    ``values`` holds the parameters (in ``model.parameters()`` order, as they were
    when it was made); the programs read it instead of each ``Value``'s ``.data``.
    Step it in place (for example with ``optimizer.update(compiled.values,
    result.grads)``), then :meth:`write_back` puts it into the model's ``Value``
    nodes.
    """

    def __init__(self, model: GPT) -> None:
        if not isinstance(model, GPT):
            raise TypeError(f"CompiledGPT: expected an nn.GPT model, got {type(model).__name__}")
        self.model = model
        self.params = model.parameters()
        self.values = np.array([p.data for p in self.params])
        self.programs: dict[int, BatchProgram] = {}
        """The compiled programs by number of predictions (a document's tokens - 1,
        at most ``block_size``)."""

    @property
    def compilations(self) -> int:
        """How many programs have been compiled (one per length seen)."""
        return len(self.programs)

    def program(self, predictions: int) -> BatchProgram:
        """The program for documents of ``predictions + 1`` tokens, compiled on
        first use."""
        if predictions not in self.programs:
            self.programs[predictions] = self._compile(predictions)
        return self.programs[predictions]

    def _compile(self, predictions: int) -> BatchProgram:
        vocab = self.model.vocab_size
        with collector_stopped(), name_scope("compiled"):
            tokens = [[Value(0.0) for _ in range(vocab)] for _ in range(predictions + 1)]
            for row in tokens:
                row[-1].data = 1.0  # trace on BOS everywhere: any document would do
            loss = self.model.loss(tokens)
            return compile_batch(loss, inputs=[x for row in tokens for x in row],
                                 params=self.params)

    def one_hot(self, docs: Sequence[Any]) -> tuple[int, np.ndarray]:
        """The number of predictions of ``docs`` (all of one length) and the batch a
        program reads: one row per document, one-hot tokens side by side."""
        ids = [self.model.document(doc) for doc in docs]
        if not ids:
            raise ValueError("CompiledGPT: expected at least one document")
        if any(isinstance(t, (list, tuple)) for doc in ids for t in doc):
            raise TypeError("CompiledGPT: documents are texts or token id lists, "
                            "not one-hot vectors (the programs make those)")
        n = min(self.model.block_size, len(ids[0]) - 1)
        lengths = {min(self.model.block_size, len(d) - 1) for d in ids}
        if len(lengths) > 1:
            raise ValueError(f"CompiledGPT: documents of one batch must have the same "
                             f"length, got {sorted(k + 1 for k in lengths)} tokens")
        vocab = self.model.vocab_size
        batch = np.zeros((len(ids), (n + 1) * vocab))
        for row, doc in enumerate(ids):
            batch[row, np.arange(n + 1) * vocab + np.asarray(doc[: n + 1])] = 1.0
        return n, batch

    def run(self, docs: Sequence[Any], grad: bool = True) -> BatchResult:
        """The mean loss of ``docs`` (texts or token lists, all of one length) and,
        with ``grad``, its gradient for every parameter: one call of one program."""
        n, batch = self.one_hot(docs)
        return self.program(n)(batch, grad=grad, param_values=self.values)

    def write_back(self) -> None:
        """Put the parameter vector into the model's ``Value`` nodes."""
        for p, x in zip(self.params, self.values.tolist()):
            p.data = x

    def train_step(self, optimizer: Optimizer, doc: Any) -> float:
        """One training step on ``doc``: its loss (before the update), after one
        ``optimizer.update`` of the parameter vector."""
        if len(optimizer.params) != len(self.values):
            raise ValueError(f"CompiledGPT.train_step: the optimizer has "
                             f"{len(optimizer.params)} parameters, the model {len(self.values)}")
        result = self.run([doc])
        assert result.grads is not None
        optimizer.update(self.values, result.grads)
        return result.loss
