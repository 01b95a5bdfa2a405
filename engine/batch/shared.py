"""The shared part of a traced graph: nodes that depend on no sample (parameters,
constants and what is computed from them only, e.g. a weight-decay term).

They have one value per call, not one per sample, so they are replayed on plain
floats with the ops' own float forward and derivatives, in topological order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from engine.op import Op
from engine.value import Value

__all__ = ["SharedPart"]


class SharedPart:
    """Values (and gradients) of the shared nodes, as a vector indexed by :attr:`index`.

    The vector has one extra last entry, always 1.0: the source of plain factors.
    """

    def __init__(self, nodes: Sequence[Value], params: Sequence[Value],
                 depends_on_param: set[Value]) -> None:
        self.index = {node: k for k, node in enumerate(nodes)}
        self.params = list(params)
        self.present = [p for p in params if p in self.index]  # params the graph uses
        self.slots = np.array([self.index[p] for p in self.present], dtype=np.intp)
        self.positions = np.array([k for k, p in enumerate(params) if p in self.index],
                                  dtype=np.intp)
        self.constants = np.array([node._data for node in nodes] + [1.0])
        self.computed: list[tuple[int, Op, list[int], list[bool]]] = [
            (self.index[node], node._fn, [self.index[c] for c in node._children],
             [c in depends_on_param for c in node._children])
            for node in nodes
            if node._children and node in depends_on_param
        ]

    def values(self) -> np.ndarray:
        """Every shared value for the parameters' current ``.data`` (1.0 last)."""
        values = self.constants.copy()
        values[self.slots] = [p._data for p in self.present]
        if self.computed:
            floats = values.tolist()
            for k, op, children, _ in self.computed:
                floats[k] = op.evaluate(*[floats[c] for c in children])
            values = np.array(floats)
        return values

    def param_grads(self, values: np.ndarray, grads: np.ndarray) -> np.ndarray:
        """Push ``grads`` (d loss / d shared value, 1 extra last entry) back through the
        computed shared nodes, and return the gradient of every parameter."""
        if self.computed:
            grads = np.array(self._through_computed(values.tolist(), grads.tolist()))
        result = np.zeros(len(self.params))
        result[self.positions] = grads[self.slots]
        return result

    def _through_computed(self, values: list[float], g: list[float]) -> list[float]:
        for k, op, children, wanted in reversed(self.computed):
            upstream = g[k]
            if upstream == 0.0:
                continue
            xs = [values[c] for c in children]
            out = values[k]
            for c, d, t, want in zip(children, op.derivatives, op.takes_output, wanted):
                if want:
                    try:
                        local = _local(d, t, xs, out)
                    except (ArithmeticError, ValueError) as error:
                        operands = ", ".join(repr(x) for x in xs)
                        raise type(error)(
                            f"{op.name}({operands}): derivative is undefined here: {error}"
                        ) from None
                    g[c] += upstream * local
        return g


def _local(derivative: Any, takes_output: bool | None, xs: list[float], out: float) -> float:
    """One local derivative on floats: a constant, or the function called."""
    if takes_output is None:
        return float(derivative)
    return float(derivative(*xs, out) if takes_output else derivative(*xs))
