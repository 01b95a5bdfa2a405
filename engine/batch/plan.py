"""From a traced one-sample graph to a list of batched steps.

1. Sort the nodes; mark which depend on a sample input ("per-sample") and which do
   not ("shared": parameters, constants and nodes made from them only).
2. Fuse affine trees: an op whose local derivatives are all constants (add, sub,
   neg, ...) is affine, and ``mul`` by a shared value is linear; a tree of such
   nodes, whose inner nodes feed nothing else, becomes one affine combination of
   its frontier rows with coefficients read from the shared values. Constant terms
   (biases) form one more, last column of the matrix (as if times a row of ones).
3. Give every remaining per-sample node a depth (1 + the deepest of its arguments)
   and group nodes by (depth, op): each group is one numpy call.
4. Plan the shared nodes the steps read the same way, as a program of its own run
   on a batch of one, whose inputs are the parameters (see :mod:`.shared`).

The shared values form one vector: the parameters first, in the order given (so an
MLP layer's weights and biases are one contiguous stretch of it), then every other
shared node, then 1.0.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

import numpy as np

from engine import ops
from engine.autograd import topological_order
from engine.batch.shared import SharedPart
from engine.batch.steps import Elementwise, Linear, Step
from engine.op import Op
from engine.value import Value

__all__ = ["Plan", "make_plan"]

_SPARSE = 4
"""A group of affine nodes runs as one dense product only if its matrix has at most
this many entries per nonzero (plus a little); sparser groups run node by node."""

Terms = dict[tuple[Value | None, int], float]
"""An affine node as ``{(frontier node, shared source): factor}``: the sum of
``factor * shared[source] * frontier``, where frontier ``None`` is the row of ones."""


@dataclass
class Plan:
    """Everything a batched program needs to run, and how to run it on tables whose
    first ``input_count`` rows hold the inputs (one column per lane)."""

    shared: SharedPart
    steps: list[Step]
    rows: int
    input_count: int
    materialized: list[tuple[int, int]]  # (row, shared index): shared values used per lane
    row_of: dict[Value, int]
    depth: int
    node_count: int
    materialized_rows: np.ndarray = field(init=False, repr=False)
    materialized_sources: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.materialized_rows = np.array([r for r, _ in self.materialized], dtype=np.intp)
        self.materialized_sources = np.array([s for _, s in self.materialized], dtype=np.intp)

    def forward(self, V: np.ndarray, shared: np.ndarray) -> list[Any]:
        """Fill every row of ``V`` below the inputs, given the ``shared`` values; return
        what each step keeps for backward."""
        if self.materialized:
            V[self.materialized_rows] = shared[self.materialized_sources, None]
        return [step.forward(V, shared) for step in self.steps]

    def backward(self, V: np.ndarray, G: np.ndarray, saved: list[Any]) -> np.ndarray:
        """Back-propagate the gradients seeded in ``G`` (which is updated in place) and
        return the gradient of every shared value (summed over the lanes)."""
        shared_grad = np.zeros(len(self.shared.constants))
        for step, kept in zip(reversed(self.steps), reversed(saved)):
            if step.needs_backward:
                step.backward(V, G, shared_grad, kept)
        if self.materialized:  # each at most once: the sources are distinct
            shared_grad[self.materialized_sources] += G[self.materialized_rows].sum(axis=1)
        return shared_grad


def _made_by(node: Value) -> Op:
    """The op that made a computed node."""
    assert node._fn is not None, "a computed node"
    return node._fn


def _intercept(op: Op) -> float | None:
    """``op(0, ..., 0)`` if every local derivative of ``op`` is a constant (the op is
    affine), else None."""
    if op.arity == 0 or any(t is not None for t in op.takes_output):
        return None
    try:
        return op.evaluate(*([0.0] * op.arity))
    except (ArithmeticError, ValueError, TypeError):
        return None


def make_plan(roots: Sequence[Value], inputs: Sequence[Value], params: Sequence[Value],
              requested: set[Value], lanes_are_samples: bool = True) -> Plan:
    """Plan the batched replay of the graph under ``roots``: ``inputs`` vary from lane
    to lane, gradients flow to ``params``, and every ``requested`` node gets a row.
    ``lanes_are_samples`` is False for the shared part's own plan, whose errors then
    name no batch sample."""
    order = topological_order(*roots)
    per_sample: set[Value] = set(inputs)
    depends_on_param: set[Value] = set(params)
    fanout: dict[Value, int] = defaultdict(int)
    for node in order:
        if node._children:
            if node._fn is None or node._fn.arity != len(node._children):
                raise TypeError(
                    f"compile_batch: node {node!r} was built by hand with op "
                    f"{node._op!r}; only nodes made by ops can be replayed"
                )
            if any(c in per_sample for c in node._children):
                per_sample.add(node)
                for c in node._children:
                    fanout[c] += 1
            if any(c in depends_on_param for c in node._children):
                depends_on_param.add(node)

    in_graph = set(order)
    present = [p for p in params if p in in_graph and p not in per_sample]
    first = set(present)
    shared_nodes = present + [n for n in order if n not in per_sample and n not in first]
    s_index = {node: k for k, node in enumerate(shared_nodes)}
    one = len(s_index)  # the index of the constant 1.0 in the shared vector
    constants = np.array([node._data for node in shared_nodes] + [1.0])

    computed = [n for n in order if n._children and n in per_sample]
    intercepts: dict[Op | None, float | None] = {
        op: _intercept(op) for op in {_made_by(n) for n in computed}}

    def is_linear(node: Value) -> bool:
        if intercepts.get(node._fn) is not None:
            return True
        return node._fn is ops.mul and sum(c in per_sample for c in node._children) == 1

    def absorbable(node: Value) -> bool:
        return (node._children != () and node in per_sample and fanout[node] == 1
                and node not in requested and is_linear(node))

    # 2. fuse affine trees, consumers first
    absorbed: set[Value] = set()
    affine: dict[Value, Terms] = {}
    for node in reversed(computed):
        if node in absorbed or not is_linear(node):
            continue
        terms: Terms = defaultdict(float)
        stack = [(node, 1.0)]
        while stack:
            m, factor = stack.pop()
            c0 = intercepts.get(m._fn)
            if c0 is None:  # mul by a shared value
                a, b = m._children
                x, w = (a, b) if a in per_sample else (b, a)
                terms[x, s_index[w]] += factor
                continue
            if c0 != 0.0:
                terms[None, one] += factor * c0
            for child, d in zip(m._children, _made_by(m).derivatives):
                f = factor * float(d)  # type: ignore[arg-type]
                if child not in per_sample:
                    terms[None, s_index[child]] += f
                elif absorbable(child):
                    absorbed.add(child)
                    stack.append((child, f))
                else:
                    terms[child, one] += f
        affine[node] = terms

    # 3. rows, depths and groups
    row_of: dict[Value, int] = {x: k for k, x in enumerate(inputs)}
    rows = len(inputs)
    materialized: list[tuple[int, int]] = []

    def row(node: Value) -> int:
        nonlocal rows
        if node not in row_of:
            row_of[node] = rows
            materialized.append((rows, s_index[node]))
            rows += 1
        return row_of[node]

    depth: dict[Value, int] = dict.fromkeys(inputs, 0)
    kept = [n for n in computed if n not in absorbed]
    for node in kept:
        if node in affine:
            args = [x for x, _ in affine[node] if x is not None]
        else:
            args = [c for c in node._children if c in per_sample]
            for c in node._children:
                if c not in per_sample:
                    row(c)
        depth[node] = 1 + max((depth[a] for a in args), default=0)
    for node in requested:
        if node not in per_sample:
            row(node)

    def key(node: Value) -> tuple[int, int, str, tuple[bool, ...]]:
        if node in affine:
            return depth[node], 0, "", ()
        wants = tuple(c in depends_on_param for c in node._children)
        return depth[node], 1, _made_by(node).name, wants

    steps: list[Step] = []
    for (_, elementwise, _, _), group in groupby(sorted(kept, key=key), key=key):
        nodes = list(group)
        if not elementwise:
            for part in _dense_parts(nodes, affine):
                steps.append(_linear_step(part, affine, row_of, rows, depends_on_param,
                                          shared_nodes, constants, lanes_are_samples))
                rows += len(part)
        else:
            steps.append(_elementwise_step(nodes, row_of, rows, depends_on_param,
                                           lanes_are_samples))
            rows += len(nodes)

    # 4. the shared part: a plan of its own for the computed shared values read here
    read = {s for _, s in materialized}
    for step in steps:
        if isinstance(step, Linear):
            read.update(step.sources)
    needed = [shared_nodes[s] for s in sorted(read - {one})
              if shared_nodes[s]._children and shared_nodes[s] in depends_on_param]
    shared_plan = (make_plan(needed, present, present, set(needed), lanes_are_samples=False)
                   if needed else None)
    shared = SharedPart(s_index, constants, params, shared_plan, needed)
    return Plan(shared, steps, rows, len(inputs), materialized, row_of,
                max(depth.values(), default=0), len(order))


def _dense_parts(nodes: list[Value], affine: dict[Value, Terms]) -> list[list[Value]]:
    """``nodes`` as one group if its dense matrix is not too sparse, else one by one."""
    columns = {x for n in nodes for x, _ in affine[n]}
    nonzeros = sum(len(affine[n]) for n in nodes)
    if len(nodes) * len(columns) <= _SPARSE * nonzeros + 64:
        return [nodes]
    return [[n] for n in nodes]


def _linear_step(nodes: list[Value], affine: dict[Value, Terms], row_of: dict[Value, int],
                 start: int, depends_on_param: set[Value], shared_nodes: list[Value],
                 constants: np.ndarray, lanes_are_samples: bool) -> Linear:
    frontier = sorted({x for n in nodes for x, _ in affine[n] if x is not None},
                      key=row_of.__getitem__)
    biased = any(x is None for n in nodes for x, _ in affine[n])
    column: dict[Value | None, int] = {x: k for k, x in enumerate(frontier)}
    column[None] = len(frontier)  # the bias column
    terms = [(j, column[x], f, s) for j, n in enumerate(nodes) for (x, s), f in affine[n].items()]
    shared_want_grad = any(s < len(shared_nodes) and shared_nodes[s] in depends_on_param
                           for *_, s in terms)
    for k, n in enumerate(nodes):
        row_of[n] = start + k
    return Linear(nodes, slice(start, start + len(nodes)), [row_of[x] for x in frontier],
                  biased, terms, any(x in depends_on_param for x in frontier),
                  shared_want_grad, constants, lanes_are_samples)


def _elementwise_step(nodes: list[Value], row_of: dict[Value, int], start: int,
                      depends_on_param: set[Value], lanes_are_samples: bool) -> Elementwise:
    op = _made_by(nodes[0])
    args = [[row_of[n._children[i]] for n in nodes] for i in range(op.arity)]
    wants_grad = [nodes[0]._children[i] in depends_on_param for i in range(op.arity)]
    for k, n in enumerate(nodes):
        row_of[n] = start + k
    return Elementwise(op, nodes, slice(start, start + len(nodes)), args, wants_grad,
                       lanes_are_samples)
