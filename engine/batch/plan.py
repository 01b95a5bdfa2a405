"""From a traced one-sample graph to a list of batched steps, in four phases.

1. :func:`_classify`: sort the nodes; mark which depend on a sample input
   ("per-sample") and which do not ("shared": parameters, constants and nodes made
   from them only).
2. :func:`_fuse_affine_trees`: an op whose local derivatives are all constants (add,
   sub, neg, ...) is affine, and ``mul`` by a shared value is linear; a tree of such
   nodes, whose inner nodes feed nothing else, becomes one affine combination of its
   frontier rows with coefficients read from the shared values. Constant terms
   (biases) form one more column of the matrix (as if times a row of ones).
3. :func:`_depths` then :func:`_steps`: give every remaining per-sample node a depth
   (as late as its consumers allow) and group nodes by (depth, op): each group is
   one numpy call. An affine group is cut into tiles, the nodes that read the same
   frontier (say, one position's ``W @ x``); tiles with the same matrix (the same
   weight matrix applied at several positions) run as ONE product over all their
   frontiers side by side, whatever their biases (see :mod:`.tiles`).
4. :func:`_shared_part`: plan the shared nodes the steps read the same way, as a
   program of its own run on a batch of one, whose inputs are the parameters (see
   :mod:`.shared`).

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
from engine.batch.tiles import Terms, Tile, linear_parts, tiles_of
from engine.op import Op
from engine.value import Value

__all__ = ["Plan", "make_plan"]

@dataclass
class Plan:
    """Everything a batched program needs to run, and how to run it on tables whose
    first ``input_count`` rows hold the inputs (one column per lane)."""

    shared: SharedPart
    steps: list[Step]
    rows: int
    input_count: int
    materialized: list[tuple[int, int]]  # (row, shared index): shared values used per lane
    requested_rows: list[int]
    """The row of each requested node, in the order requested (the plan keeps no
    reference to the graph itself)."""
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


def make_plan(outputs: Sequence[Value], inputs: Sequence[Value], params: Sequence[Value],
              requested: Sequence[Value], lanes_are_samples: bool = True) -> Plan:
    """Plan the batched replay of the graph under ``outputs``: ``inputs`` vary from lane
    to lane, gradients flow to ``params``, and every ``requested`` node gets a row.
    ``lanes_are_samples`` is False for the shared part's own plan, whose errors then
    name no batch sample."""
    graph = _classify(outputs, inputs, params)
    affine = _fuse_affine_trees(graph, set(requested))
    kept = [n for n in graph.computed if n not in graph.absorbed]
    rows = _Rows(graph)
    depth = _depths(graph, affine, kept, requested, rows)
    steps = _steps(graph, affine, kept, depth, rows, lanes_are_samples)
    shared = _shared_part(graph, steps, rows)
    return Plan(shared, steps, rows.count, len(inputs), rows.materialized,
                [rows.row_of[n] for n in requested], max(depth.values(), default=0),
                len(graph.order))


# -- 1. classify ----------------------------------------------------------------------


@dataclass
class _Graph:
    """The traced graph, sorted and classified (phase 1)."""

    order: list[Value]
    inputs: list[Value]
    params: list[Value]
    per_sample: set[Value]
    depends_on_param: set[Value]
    fanout: dict[Value, int]
    """How many per-sample nodes read each node."""
    present: list[Value]
    """The parameters in the graph (that depend on no sample), in the order given."""
    shared_nodes: list[Value]
    s_index: dict[Value, int]
    constants: np.ndarray
    computed: list[Value]
    """The per-sample nodes made by an op, in topological order."""
    linear: set[Value]
    """The computed nodes affine in their per-sample arguments: made by an affine op
    (see :func:`_intercept`), or by ``mul`` with a shared value."""
    intercepts: dict[Op, float]
    """``op(0, ..., 0)`` of every affine op in the graph ..."""
    slopes: dict[Op, tuple[float, ...]]
    """... and its constant local derivatives."""
    absorbed: set[Value] = field(default_factory=set)
    """Affine nodes fused into the tree of their one consumer (phase 2)."""

    @property
    def one(self) -> int:
        """The index of the constant 1.0 in the shared vector."""
        return len(self.shared_nodes)


def _classify(outputs: Sequence[Value], inputs: Sequence[Value],
              params: Sequence[Value]) -> _Graph:
    """Phase 1: the nodes in topological order, which depend on a sample (and which
    on a parameter), and the vector of shared values."""
    order = topological_order(*outputs)
    per_sample: set[Value] = set(inputs)
    depends_on_param: set[Value] = set(params)
    fanout: dict[Value, int] = defaultdict(int)
    computed = []
    for node in order:
        children = node._children
        if not children:
            continue
        if node._fn is None or node._fn.arity != len(children):
            raise TypeError(
                f"compile_batch: node {node!r} was built by hand with op "
                f"{node._op!r}; only nodes made by ops can be replayed"
            )
        if not per_sample.isdisjoint(children):
            per_sample.add(node)
            computed.append(node)
            for c in children:
                fanout[c] += 1
        if not depends_on_param.isdisjoint(children):
            depends_on_param.add(node)
    in_graph = set(order)
    present = [p for p in params if p in in_graph and p not in per_sample]
    first = set(present)
    shared_nodes, s_index = _shared_slots(
        present, [n for n in order if n not in per_sample and n not in first], depends_on_param)
    constants = np.array([node._data for node in shared_nodes] + [1.0])
    intercepts: dict[Op, float] = {}
    for op in {_made_by(n) for n in computed}:
        c0 = _intercept(op)
        if c0 is not None:
            intercepts[op] = c0
    slopes = {op: tuple(float(d) for d in op.derivatives)  # type: ignore[arg-type]
              for op in intercepts}
    linear = {n for n in computed if n._fn in intercepts or (
        n._fn is ops.mul and (n._children[0] in per_sample) != (n._children[1] in per_sample))}
    return _Graph(order, list(inputs), list(params), per_sample, depends_on_param, fanout,
                  present, shared_nodes, s_index, constants, computed, linear, intercepts,
                  slopes)


def _shared_slots(present: list[Value], others: list[Value], depends_on_param: set[Value]
                  ) -> tuple[list[Value], dict[Value, int]]:
    """The shared nodes with a slot each in the shared vector (parameters first), and
    every shared node's slot: constant leaves of equal value share one, so the same
    number (a ``1 / sqrt(d)`` scale) written at several positions reads as the same
    weight there."""
    slots = list(present)
    s_index = {node: k for k, node in enumerate(present)}
    slot_of_constant: dict[str, int] = {}
    for node in others:
        if not node._children and node not in depends_on_param:
            bits = float(node._data).hex()
            if bits in slot_of_constant:
                s_index[node] = slot_of_constant[bits]
                continue
            slot_of_constant[bits] = len(slots)
        s_index[node] = len(slots)
        slots.append(node)
    return slots, s_index


def _made_by(node: Value) -> Op:
    """The op that made a computed node."""
    assert node._fn is not None, "a computed node"
    return node._fn


def _intercept(op: Op) -> float | None:
    """``op(0, ..., 0)`` if ``op`` is declared affine (``define_op(..., affine=True)``)
    with constant local derivatives, else None. Affinity is never inferred:
    constant derivatives alone (a straight-through rounding op) do not make an
    op affine."""
    if op.arity == 0 or not op.affine or any(t is not None for t in op.takes_output):
        return None
    try:
        return op.evaluate(*([0.0] * op.arity))
    except (ArithmeticError, ValueError, TypeError):
        return None


# -- 2. fuse affine trees -------------------------------------------------------------


def _fuse_affine_trees(graph: _Graph, requested: set[Value]) -> dict[Value, Terms]:
    """Phase 2: every affine node that is not absorbed, as its terms; consumers
    first, so a tree is fused from its root (records ``graph.absorbed``). A node is
    absorbed when it is affine and feeds only one node (and was not requested)."""
    fanout = graph.fanout
    absorbable = {n for n in graph.linear if fanout[n] == 1}
    absorbable.difference_update(requested)
    affine: dict[Value, Terms] = {}
    for node in reversed(graph.computed):
        if node in graph.linear and node not in graph.absorbed:
            affine[node] = _affine_terms(graph, node, absorbable)
    return affine


def _affine_terms(graph: _Graph, root: Value, absorbable: set[Value]) -> Terms:
    """The affine tree under ``root`` as one combination of its frontier."""
    terms: Terms = defaultdict(float)
    per_sample, s_index, one = graph.per_sample, graph.s_index, graph.one
    slopes_of, intercepts, absorb = graph.slopes, graph.intercepts, graph.absorbed.add
    stack = [(root, 1.0)]
    push, pop = stack.append, stack.pop
    while stack:
        m, factor = pop()
        op = m._fn
        slopes = slopes_of.get(op)  # type: ignore[arg-type]
        if slopes is None:  # mul by a shared value
            a, b = m._children
            x, w = (a, b) if a in per_sample else (b, a)
            terms[x, s_index[w]] += factor
            continue
        c0 = intercepts[op]  # type: ignore[index]
        if c0 != 0.0:
            terms[None, one] += factor * c0
        for child, d in zip(m._children, slopes):
            if child in absorbable:
                absorb(child)
                if child._fn in slopes_of:
                    push((child, factor * d))
                else:  # mul by a shared value: its term, without a trip on the stack
                    a, b = child._children
                    x, w = (a, b) if a in per_sample else (b, a)
                    terms[x, s_index[w]] += factor * d
            elif child in per_sample:
                terms[child, one] += factor * d
            else:
                terms[None, s_index[child]] += factor * d
    return terms


# -- 3. rows, depths and steps --------------------------------------------------------


class _Rows:
    """Rows of the per-lane tables: the inputs first, then shared values read per lane
    and step outputs as they are placed."""

    def __init__(self, graph: _Graph) -> None:
        self.graph = graph
        self.row_of: dict[Value, int] = {x: k for k, x in enumerate(graph.inputs)}
        self.count = len(graph.inputs)
        self.materialized: list[tuple[int, int]] = []
        self.row_of_slot: dict[int, int] = {}

    def materialize(self, node: Value) -> None:
        """Give the shared ``node`` a row, filled from the shared vector on each call
        (one row per slot: constants of equal value share it)."""
        if node in self.row_of:
            return
        slot = self.graph.s_index[node]
        if slot not in self.row_of_slot:
            self.row_of_slot[slot] = self.count
            self.materialized.append((self.count, slot))
            self.count += 1
        self.row_of[node] = self.row_of_slot[slot]

    def place(self, nodes: list[Value]) -> int:
        """Give ``nodes`` consecutive rows, in order; return the first."""
        start = self.count
        for k, node in enumerate(nodes):
            self.row_of[node] = start + k
        self.count += len(nodes)
        return start


def _depths(graph: _Graph, affine: dict[Value, Terms], kept: list[Value],
            requested: Sequence[Value], rows: _Rows) -> dict[Value, int]:
    """Every kept node's depth, as late as it can run: one less than the earliest of
    its consumers, the graph's longest chain for a node nobody reads. (As late,
    rather than as early, as possible lines up the ends of chains of unequal
    length: each position's softmax has a shift tree of its own depth, yet every
    position's next layer runs in the same step.) Shared values read per lane get
    rows."""
    args = {node: _per_sample_args(graph, affine, node, rows) for node in kept}
    earliest: dict[Value, int] = dict.fromkeys(graph.inputs, 0)
    for node in kept:
        earliest[node] = 1 + max(map(earliest.__getitem__, args[node]), default=0)
    for node in requested:
        if node not in graph.per_sample:
            rows.materialize(node)
    longest = max(earliest.values(), default=0)
    depth: dict[Value, int] = {}
    for node in reversed(kept):  # consumers first
        mine = depth.setdefault(node, longest)
        for a in args[node]:
            if a in args and depth.get(a, longest) >= mine:
                depth[a] = mine - 1
    return depth


def _per_sample_args(graph: _Graph, affine: dict[Value, Terms], node: Value,
                     rows: _Rows) -> list[Value]:
    """The per-sample nodes ``node`` reads (its frontier, for an affine tree); its
    other arguments, shared values, get rows."""
    if node in affine:
        return [x for x, _ in affine[node] if x is not None]
    for c in node._children:
        if c not in graph.per_sample:
            rows.materialize(c)
    return [c for c in node._children if c in graph.per_sample]


def _steps(graph: _Graph, affine: dict[Value, Terms], kept: list[Value],
           depth: dict[Value, int], rows: _Rows, lanes_are_samples: bool) -> list[Step]:
    """The numpy steps: the kept nodes grouped by (depth, op), in depth order."""
    wanting = graph.depends_on_param
    keys: dict[Value, tuple[int, int, str, tuple[bool, ...]]] = {
        node: (depth[node], 0, "", ()) if node in affine else
        (depth[node], 1, _made_by(node).name, tuple([c in wanting for c in node._children]))
        for node in kept}
    steps: list[Step] = []
    for (_, elementwise, _, _), group in groupby(sorted(kept, key=keys.__getitem__),
                                                 key=keys.__getitem__):
        nodes = list(group)
        if elementwise:
            steps.append(_elementwise_step(graph, nodes, rows, lanes_are_samples))
        else:
            steps += [_linear_step(graph, affine, part, rows, lanes_are_samples)
                      for part in linear_parts(tiles_of(nodes, affine), affine)]
    return steps


def _linear_step(graph: _Graph, affine: dict[Value, Terms], tiles: list[Tile], rows: _Rows,
                 lanes_are_samples: bool) -> Linear:
    """One product for ``tiles`` (all with the same ``W`` when there are several):
    node ``r`` of tile ``t`` goes to row ``r * len(tiles) + t`` of the step's block,
    frontier column ``c`` of tile ``t`` is read from input ``c * len(tiles) + t``."""
    k = len(tiles)
    if k == 1:  # one tile: W's columns follow the frontier's rows
        tiles = [Tile(tiles[0].nodes, sorted(tiles[0].columns, key=rows.row_of.__getitem__))]
    width = len(tiles[0].columns)
    biased = any(x is None for tile in tiles for n in tile.nodes for x, _ in affine[n])
    terms = []
    for t, tile in enumerate(tiles):
        column = {x: c for c, x in enumerate(tile.columns)}
        for r, node in enumerate(tile.nodes):
            for (x, s), f in affine[node].items():
                if x is None:
                    terms.append((r, width + t, f, s))
                elif t == 0:
                    terms.append((r, column[x], f, s))
    nodes = [tile.nodes[r] for r in range(len(tiles[0].nodes)) for tile in tiles]
    inputs = [rows.row_of[tile.columns[c]] for c in range(width) for tile in tiles]
    wanting = graph.depends_on_param
    shared_want_grad = any(s < len(graph.shared_nodes) and graph.shared_nodes[s] in wanting
                           for *_, s in terms)
    start = rows.place(nodes)
    return Linear(nodes, slice(start, start + len(nodes)), inputs, biased, terms,
                  any(x in wanting for tile in tiles for x in tile.columns),
                  shared_want_grad, graph.constants, lanes_are_samples, tiles=k)


def _elementwise_step(graph: _Graph, nodes: list[Value], rows: _Rows,
                      lanes_are_samples: bool) -> Elementwise:
    op = _made_by(nodes[0])
    args = [[rows.row_of[n._children[i]] for n in nodes] for i in range(op.arity)]
    wants_grad = [nodes[0]._children[i] in graph.depends_on_param for i in range(op.arity)]
    start = rows.place(nodes)
    return Elementwise(op, nodes, slice(start, start + len(nodes)), args, wants_grad,
                       lanes_are_samples)


# -- 4. the shared part ---------------------------------------------------------------


def _shared_part(graph: _Graph, steps: list[Step], rows: _Rows) -> SharedPart:
    """Phase 4: the shared values, with a plan of their own for the computed ones the
    steps read (its inputs are the parameters)."""
    read = {s for _, s in rows.materialized}
    for step in steps:
        if isinstance(step, Linear):
            read.update(step.sources)
    shared_nodes = graph.shared_nodes
    needed = [shared_nodes[s] for s in sorted(read - {graph.one})
              if shared_nodes[s]._children and shared_nodes[s] in graph.depends_on_param]
    present = graph.present
    shared_plan = (make_plan(needed, present, present, needed, lanes_are_samples=False)
                   if needed else None)
    return SharedPart(graph.s_index, graph.constants, graph.params, shared_plan, needed)
