"""``compile_batch``: trace one sample's graph once, replay it over a whole batch."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.batch.plan import Plan, make_plan
from engine.batch.shared import SharedValues
from engine.batch.steps import all_finite, index_of
from engine.checks import listed, short_repr, to_float_array
from engine.value import Value

__all__ = ["BatchProgram", "BatchResult", "ProgramStats", "compile_batch"]

_REDUCTIONS = ("mean", "sum")


@dataclass(frozen=True)
class BatchResult:
    """What one run of a :class:`BatchProgram` returns.

    ``grads[k]`` is d(``loss``)/d(``params[k]``): with ``reduction="mean"`` the
    per-sample gradients averaged over the batch, with ``"sum"`` summed.
    """

    losses: np.ndarray
    """Shape (B,): the loss of every sample."""
    loss: float
    """The losses reduced: their mean or their sum."""
    outputs: np.ndarray
    """Shape (B, len(outputs)): every sample's value of each requested output."""
    grads: np.ndarray | None
    """Shape (len(params),): d(loss)/d(param); None when run with ``grad=False``."""


@dataclass(frozen=True)
class ProgramStats:
    """The size of a compiled program, for reports and benchmarks."""

    nodes: int
    """Nodes in the traced one-sample graph."""
    rows: int
    """Rows of the per-sample tables: a program keeps two tables of rows x batch floats
    (values and gradients) between calls, 16 x rows x batch bytes."""
    steps: int
    """Numpy steps per forward pass (about the same again backward)."""
    depth: int
    """Longest chain of steps."""
    shared: int
    """Nodes that depend on no sample (run once per call, as a batch of one)."""
    shared_steps: int
    """Numpy steps computing the shared values the per-sample steps read."""


class BatchProgram:
    """A one-sample graph compiled to run over batches; made by :func:`compile_batch`."""

    def __init__(self, plan: Plan, loss: Value, inputs: list[Value], params: list[Value],
                 outputs: list[Value]) -> None:
        self._plan = plan
        self.inputs = inputs
        self.params = params
        self.outputs = outputs
        self._loss_row = plan.requested_rows[0]  # requested: the loss, then the outputs
        self._output_rows = index_of(plan.requested_rows[1:])
        self._tables_of_thread = threading.local()

    @property
    def stats(self) -> ProgramStats:
        """Node, row, step and depth counts of this program."""
        p = self._plan
        shared_steps = len(p.shared.plan.steps) if p.shared.plan is not None else 0
        return ProgramStats(p.node_count, p.rows, len(p.steps), p.depth, len(p.shared.index),
                            shared_steps)

    def __repr__(self) -> str:
        s = self.stats
        return (f"<BatchProgram: {len(self.inputs)} inputs, {len(self.params)} params, "
                f"{s.nodes} nodes in {s.steps} steps of depth {s.depth}>")

    def __call__(self, batch: Any, grad: bool = True, reduction: str = "mean",
                 param_values: Any = None) -> BatchResult:
        """Run the graph on every row of ``batch`` (shape (B, len(inputs))) with the
        parameters' current ``.data``, or with ``param_values`` (one number per
        parameter, in order: a vector an optimizer steps in numpy, with no
        per-``Value`` reads or writes); with ``grad=True`` also the gradient of the
        reduced loss with respect to every parameter."""
        if reduction not in _REDUCTIONS:
            raise ValueError(
                f"BatchProgram: reduction must be 'mean' or 'sum', got {short_repr(reduction)}")
        data = self._check_batch(batch)
        values = None if param_values is None else self._check_param_values(param_values)
        plan = self._plan
        V, G = self._tables(data.shape[0])
        V[: plan.input_count] = data.T
        with np.errstate(all="ignore"):
            shared = plan.shared.forward(values)
            saved = plan.forward(V, shared.vector)
            losses = V[self._loss_row].copy()
            loss = float(losses.sum() if reduction == "sum" else losses.mean())
            outputs = V[self._output_rows].T.copy()
            grads = self._backward(V, G, shared, saved, reduction) if grad else None
        return BatchResult(losses, loss, outputs, grads)

    def _tables(self, size: int) -> tuple[np.ndarray, np.ndarray]:
        """The value and gradient tables for a batch of ``size``, kept between calls
        (per thread) since fresh ones cost page faults on every call."""
        tables = getattr(self._tables_of_thread, "tables", None)
        if tables is None or tables[0].shape[1] != size:
            shape = (self._plan.rows, size)
            tables = (np.empty(shape), np.empty(shape))
            self._tables_of_thread.tables = tables
        return tables

    def _backward(self, V: np.ndarray, G: np.ndarray, shared: SharedValues,
                  saved: list[Any], reduction: str) -> np.ndarray:
        G.fill(0.0)
        G[self._loss_row] = 1.0 / V.shape[1] if reduction == "mean" else 1.0
        shared_grad = self._plan.backward(V, G, saved)
        grads = self._plan.shared.param_grads(shared, shared_grad)
        if not all_finite(grads):
            k = int(np.flatnonzero(~np.isfinite(grads))[0])
            raise OverflowError(
                f"BatchProgram: the gradient of parameter {k} ({self.params[k]!r}) is "
                f"{grads[k]}")
        return grads

    def _check_param_values(self, values: Any) -> np.ndarray:
        try:
            vector = np.asarray(values, dtype=float)
        except (TypeError, ValueError) as error:
            raise TypeError(
                f"BatchProgram: param_values must be an array of numbers: {error}") from None
        if vector.shape != (len(self.params),):
            raise ValueError(f"BatchProgram: param_values must have shape "
                             f"({len(self.params)},) (one per parameter), got {vector.shape}")
        if not all_finite(vector):
            k = int(np.flatnonzero(~np.isfinite(vector))[0])
            raise ValueError(f"BatchProgram: param_values[{k}] ({self.params[k]!r}) is "
                             f"{vector[k]}")
        return vector

    def _check_batch(self, batch: Any) -> np.ndarray:
        data = to_float_array(batch, "BatchProgram: batch")
        n = len(self.inputs)
        if data.ndim != 2 or data.shape[1] != n or data.shape[0] == 0:
            raise ValueError(
                f"BatchProgram: batch must have shape (B, {n}) with B >= 1 (one column per "
                f"input), got shape {data.shape}")
        if not all_finite(data):
            sample, column = (int(k) for k in np.argwhere(~np.isfinite(data))[0])
            raise ValueError(
                f"BatchProgram: batch sample {sample}, input {column} is {data[sample, column]}")
        return data


def compile_batch(loss: Value, inputs: Sequence[Value], params: Sequence[Value],
                  outputs: Sequence[Value] = ()) -> BatchProgram:
    """Compile the graph of ``loss`` (traced on one sample) into a batched program.

    ``inputs`` are leaves standing for one sample's features and targets: column k of
    a batch feeds ``inputs[k]``. ``params`` are leaves shared by all samples, read
    afresh (``.data``) at every call. Every other leaf is a constant, baked in now.
    ``outputs`` are extra per-sample nodes to report (e.g. scores).

    >>> from engine import Value
    >>> x, w = Value(0.0), Value(3.0)
    >>> program = compile_batch((w * x - 1.0) ** 2, inputs=[x], params=[w])
    >>> result = program([[1.0], [2.0]], reduction="sum")
    >>> result.losses.tolist(), result.grads.tolist()
    ([4.0, 25.0], [24.0])
    """
    if not isinstance(loss, Value):
        raise TypeError(f"compile_batch: loss must be a Value, got {type(loss).__name__}")
    groups = {name: listed(nodes, f"compile_batch: {name}")
              for name, nodes in (("inputs", inputs), ("params", params), ("outputs", outputs))}
    for name, nodes in groups.items():
        for node in nodes:
            if not isinstance(node, Value):
                raise TypeError(
                    f"compile_batch: {name} must be Values, got {type(node).__name__} "
                    f"{short_repr(node)}")
    for name in ("inputs", "params"):
        for node in groups[name]:
            if node._children:
                raise ValueError(
                    f"compile_batch: {name} must be leaf Values; {node!r} was computed "
                    f"by {node._fn.name if node._fn else 'hand'}")
    seen: set[Value] = set()
    for node in groups["inputs"] + groups["params"]:
        if node in seen:
            raise ValueError(f"compile_batch: {node!r} is listed twice among inputs and params")
        seen.add(node)
    ends = [loss, *groups["outputs"]]
    plan = make_plan(ends, groups["inputs"], groups["params"], ends)
    return BatchProgram(plan, loss, groups["inputs"], groups["params"], groups["outputs"])
