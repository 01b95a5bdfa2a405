"""The shared part of a traced graph: nodes that depend on no sample (parameters,
constants and what is computed from them only, e.g. a weight-decay term).

They have one value per call, not one per sample. The computed ones that the batched
steps read are planned like the per-sample part, as a program of their own run on a
batch of ONE lane whose inputs are the parameters: ``sum(p * p for p in params)``
becomes one element-wise step (every ``p * p``) and one fused sum, forward and
backward, however many parameters there are.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from engine.value import Value

if TYPE_CHECKING:
    from engine.batch.plan import Plan

__all__ = ["SharedPart", "SharedValues"]

class SharedValues(NamedTuple):
    """The shared values of one call, and what their backward pass needs."""

    vector: np.ndarray
    """Every shared value, indexed like :attr:`SharedPart.index`, with 1.0 last."""
    table: np.ndarray | None
    """The value table of the shared plan (rows x 1), if there is one."""
    saved: list[Any]
    """What the shared plan's steps kept for backward."""


class SharedPart:
    """Values (and gradients) of the shared nodes, as a vector indexed by :attr:`index`.

    The parameters the graph uses come first in it, in the order given, and one extra
    last entry is always 1.0: the source of plain factors. Parameters are read afresh
    at every call; the ``computed`` nodes come from ``plan``, the shared plan, whose
    inputs are those parameters; every other node keeps the value it was traced with.
    """

    def __init__(self, index: dict[Value, int], constants: np.ndarray,
                 params: Sequence[Value], plan: Plan | None,
                 computed: list[Value]) -> None:
        self.index = index
        self.constants = constants
        self.constants.flags.writeable = False  # shared by every call: never written
        self.params = list(params)
        self.present = [p for p in params if p in index]  # the params the graph uses
        assert all(index[p] == k for k, p in enumerate(self.present)), "params come first"
        self.positions = np.array([k for k, p in enumerate(params) if p in index],
                                  dtype=np.intp)
        self.all_present = len(self.present) == len(self.params)
        # struct packs a list of floats into doubles faster than numpy converts one
        self.pack = struct.Struct(f"{len(self.present)}d").pack
        self.plan = plan
        self.computed_slots = np.array([index[n] for n in computed], dtype=np.intp)
        self.computed_rows = (np.array(plan.requested_rows, dtype=np.intp)
                              if plan is not None else np.zeros(0, dtype=np.intp))

    def forward(self, param_values: np.ndarray | None = None) -> SharedValues:
        """Every shared value for the parameters' current ``.data``, or for
        ``param_values`` (one per parameter, in the order given) when not None."""
        n = len(self.present)
        if not n:
            return SharedValues(self.constants, None, [])
        if param_values is None:
            data = np.frombuffer(self.pack(*[p._data for p in self.present]))  # the one loop
        else:
            data = param_values if self.all_present else param_values[self.positions]
        vector = self.constants.copy()
        vector[:n] = data
        if self.plan is None:
            return SharedValues(vector, None, [])
        V = np.empty((self.plan.rows, 1))
        V[:n, 0] = data  # the shared plan's inputs are the params, in order
        saved = self.plan.forward(V, self.plan.shared.forward().vector)
        vector[self.computed_slots] = V[self.computed_rows, 0]
        return SharedValues(vector, V, saved)

    def param_grads(self, values: SharedValues, grads: np.ndarray) -> np.ndarray:
        """The gradient of every parameter, given ``grads``: d loss / d shared value
        (one extra last entry), pushed back through the shared plan."""
        n = len(self.present)
        result = grads[:n].copy()
        if self.plan is not None and values.table is not None:
            G = np.zeros_like(values.table)
            G[self.computed_rows, 0] = grads[self.computed_slots]
            self.plan.backward(values.table, G, values.saved)
            result += G[:n, 0]
        if self.all_present:
            return result
        everyone = np.zeros(len(self.params))
        everyone[self.positions] = result
        return everyone
